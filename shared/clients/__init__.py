"""Typed clients, one module per cloud service (``shared.clients.ide``, ``.csms``, ``.apig``, ...).

Deliberately empty of imports: a function pays the import cost only for the clients it uses, which keeps
FunctionGraph/SCF cold starts short. Import the module you need, e.g. ``from shared.clients.ide import ...``.
"""
