"""The IAM actions and roles a function's ``Policies`` may name, so ``opsfn validate`` can reject typos.

Sources: the APIG actions are chapter 4 of the APIG dedicated V2 API reference (seed 002), kept exactly
as printed there, misspellings included (``listBindedTrotles``, ``listUnbindApis``) because IAM matches
them literally. CSMS actions use the DEW identity-policy form seen on its API pages
(``csms:secret:createVersion`` with alias ``csms:secretVersion:create``, ``csms:secret:createStage`` with
alias ``csms:secretStage:create``); the remaining CSMS names follow the same documented
``csms:secret:<verb>`` pattern and were not each confirmed against a live IAM policy editor. CodeArts IDE
documents no fine-grained actions: its errors name the roles ``te_admin`` and ``readonly``, so IDE access
is granted by role (``role:te_admin``). SMN publishing is ``smn:topic:publish``.
"""

from __future__ import annotations

APIG_ACTIONS = frozenset(
    """
    apig:acls:create apig:acls:delete apig:acls:get apig:acls:list apig:acls:listBindedApis
    apig:acls:listUnbindedApis apig:apis:bindAcls apig:apis:bindSigns apig:apis:bindThrottles apig:apis:create
    apig:apis:debug apig:apis:delete apig:apis:export apig:apis:get apig:apis:grantAppAccess apig:apis:import
    apig:apis:list apig:apis:listBindedAcls apig:apis:listBindedApps apig:apis:listBindedSigns
    apig:apis:listBindedTrotles apig:apis:offline apig:apis:publish apig:apis:relieveAppAccess
    apig:apis:unbindAcls apig:apis:unbindSigns apig:apis:unbindThrottles apig:apps:create apig:apps:delete
    apig:apps:get apig:apps:list apig:apps:listBindedApis apig:apps:listUnbindedApis apig:authorizers:create
    apig:authorizers:delete apig:authorizers:get apig:authorizers:list apig:domains:bindCertificate
    apig:domains:create apig:domains:delete apig:domains:getCertificate apig:domains:unbindCertificate
    apig:envs:create apig:envs:delete apig:envs:list apig:features:create apig:features:list
    apig:groups:create apig:groups:delete apig:groups:get apig:groups:list apig:instances:create
    apig:instances:delete apig:instances:get apig:instances:list apig:instances:update apig:signs:create
    apig:signs:delete apig:signs:list apig:signs:listBindedApis apig:signs:listUnbindedApis
    apig:specialThrottles:create apig:specialThrottles:delete apig:specialThrottles:get apig:tags:list
    apig:throttles:create apig:throttles:delete apig:throttles:get apig:throttles:list
    apig:throttles:listBindedApis apig:throttles:listUnbindApis apig:variables:create apig:variables:delete
    apig:variables:get apig:variables:list apig:vpcChannels:addInstance apig:vpcChannels:create
    apig:vpcChannels:delete apig:vpcChannels:deleteInstance apig:vpcChannels:update apig:vpcs:get
    apig:vpcs:list
    """.split()
)

CSMS_ACTIONS = frozenset(
    """
    csms:secret:create csms:secret:get csms:secret:list csms:secret:update csms:secret:delete
    csms:secret:createVersion csms:secret:getVersion csms:secret:listVersions csms:secret:updateVersion
    csms:secret:getStage csms:secret:createStage csms:secret:updateStage csms:secret:deleteStage
    csms:secret:rotate csms:secret:listTags csms:secret:listResourceInstances
    csms:secretVersion:create csms:secretStage:create
    """.split()
)

OTHER_ACTIONS = frozenset(
    """
    smn:topic:publish smn:topic:list smn:topic:get iam:users:listUsers iam:projects:listProjects
    iam:agencies:assume kms:cmk:createDataKey kms:cmk:decryptDataKey kms:dek:create kms:dek:decrypt
    """.split()
)

KNOWN_ROLES = frozenset({"te_admin", "readonly"})

KNOWN_ACTIONS = APIG_ACTIONS | CSMS_ACTIONS | OTHER_ACTIONS


def is_known(policy: str) -> bool:
    """An action from the catalogue, a ``service:resource:*`` wildcard over it, or ``role:<known role>``."""
    if policy.startswith("role:"):
        return policy[5:] in KNOWN_ROLES
    if policy.endswith(":*"):
        prefix = policy[:-1]
        return any(action.startswith(prefix) for action in KNOWN_ACTIONS)
    return policy in KNOWN_ACTIONS
