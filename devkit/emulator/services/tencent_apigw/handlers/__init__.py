"""Tencent APIGW actions, one module per topic and one function per action.

Each action takes an :class:`~.common.ActionContext` and returns the fields that go inside ``Response``;
the action table in :mod:`..routes` names them.
"""
