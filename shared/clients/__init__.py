"""Typed clients, one module per cloud service (``shared.clients.ide``, ``.csms``, ``.apig``, ...).

Deliberately empty of imports: a function pays the import cost only for the clients it uses, which keeps
FunctionGraph/SCF cold starts short. Import the module you need, e.g. ``from shared.clients.ide import ...``.
For the same reason the response models set ``defer_build=True``: pydantic builds a model's validator when
it first validates, so a job pays only for the models of the answers it reads.
"""
