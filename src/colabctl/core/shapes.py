"""The JSON shapes: every document a `--json` prints (and `can --batch`'s lines and a
saved plan), declared once, here (docs/json.md).

Each shape is a TypedDict whose keys are in the order they are printed, each key's type
annotated with what it means. The shapes hold in three ways:

- each type's `as_json()` is annotated to return its shape, so mypy refuses a key
  missing, a key too many or a value of the wrong type;
- docs/json.md renders each shape's keys from here (core/shapedoc.py, run by cog);
- tests/cli/test_json.py runs every command in SHAPES on the demo store and holds its
  output to the declared keys, in order, and the cli to printing only `as_json()`s.

Nothing imports this module at run time but cog and the tests: the producers name it
under TYPE_CHECKING only, so no command pays for it (`can` least of all). A shape that
changes changes here first; then `cog -r docs/json.md`.
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple, NotRequired, TypedDict

# The meaning of each key is the metadata of its annotation: `Annotated[TYPE, MEANING]`.

# -- identity -----------------------------------------------------------------------------


class MyAccount(TypedDict):
    slug: Annotated[str, "the account's slug"]
    name: Annotated[str, "its display name"]
    role: Annotated[str, "`owner`, or the name of the actor's profile there"]
    current: Annotated[bool, "whether it is the actor's current account (`colabctl use`)"]
    access_until: Annotated[
        str | None, "when the actor's access there ends; null when it does not, and for the owner"
    ]


class MyInvitation(TypedDict):
    account: Annotated[str, "the account that invited the actor"]
    profile: Annotated[str | None, "the profile offered"]
    invited_at: Annotated[str, "when the invitation was made"]
    expires_at: Annotated[str | None, "when it expires unless accepted"]
    invited_by: Annotated[str | None, "who invited the actor"]


class WhoAmI(TypedDict):
    user: Annotated[str, "the actor's email"]
    name: Annotated[str | None, "the actor's display name"]
    accounts: Annotated[
        list[MyAccount], "the accounts where the actor is the owner or an active collaborator"
    ]
    invitations: Annotated[list[MyInvitation], "the actor's pending invitations"]


class RoleAt(TypedDict):
    user: Annotated[str, "the actor's email"]
    account: Annotated[str, "the account asked about"]
    role: Annotated[str, "`owner`, or the name of the actor's profile there"]
    permissions: Annotated[list[str], "the permission ids the actor holds there, in catalog order"]


# -- accounts -----------------------------------------------------------------------------

# `from` is a keyword: the one shape declared with the functional syntax.
Transfer = TypedDict(
    "Transfer",
    {
        "to": Annotated[str, "whom the account is offered to"],
        "offered_at": Annotated[str, "when it was offered"],
        "expires_at": Annotated[str, "when the offer lapses unless accepted"],
        "from": Annotated[str, "the owner who offered it"],
        "keep_as": Annotated[
            str | None,
            "the profile the offering owner keeps once it is accepted (null: they leave;"
            " see [ownership.md](ownership.md))",
        ],
    },
)


class Account(TypedDict):
    slug: Annotated[str, "the account's slug"]
    name: Annotated[str, "its display name"]
    owner: Annotated[str, "the owner's email"]
    legal_entity: Annotated[bool, "whether a business tax ID is registered"]
    tax_id: Annotated[
        str | None,
        "the tax ID, formatted; null when none is registered, and always for a collaborator:"
        " account data is the owner's",
    ]
    country: Annotated[str | None, "the tax ID's country, null as `tax_id` is"]
    transfer: Annotated[
        Transfer | None,
        "the open ownership offer, shown to the owner and to its recipient (null to everyone"
        " else, and when there is none)",
    ]
    role: Annotated[str, "`owner`, or the name of the actor's profile"]
    current: Annotated[bool, "whether it is the actor's current account"]


class AccountShown(Account):
    profiles: Annotated[int, "how many profiles the account has"]
    collaborators: Annotated[int, "how many active collaborators it has"]


# -- the catalog and presets ----------------------------------------------------------------


class PermissionEntry(TypedDict):
    id: Annotated[str, "the permission's id"]
    category: Annotated[str, "its category's id"]
    label: Annotated[str, "its label in the language chosen by `--lang` or `COLABCTL_LANG`"]
    risk: Annotated[str, "`low`, `medium`, `high` or `owner`"]
    owner_only: Annotated[bool, "whether only the owner can hold it (no profile can)"]
    labels: Annotated[dict[str, str], "its label in each language (`es`, `pt`, `en`)"]


class Preset(TypedDict):
    name: Annotated[str, "the preset's name"]
    title: Annotated[dict[str, str], "its title in each language"]
    description: Annotated[str, "its own (English) description"]
    descriptions: Annotated[
        dict[str, str],
        "its description by language, from the preset file's `[descriptions]` table (`{}`"
        " when it has none); the table output picks the one for `--lang`",
    ]
    permissions: Annotated[list[str], "the permission ids it grants"]


# -- profiles -------------------------------------------------------------------------------


class ProfileSummary(TypedDict):
    name: Annotated[str, "the profile's name"]
    account: Annotated[str, "its account"]
    description: Annotated[str, "its description"]
    permissions: Annotated[int, "how many permissions it grants"]
    active: Annotated[int, "how many active collaborators hold it"]
    pending: Annotated[int, "how many invitations to it are pending"]


class Profile(TypedDict):
    name: Annotated[str, "the profile's name"]
    account: Annotated[str, "its account"]
    description: Annotated[str, "its description"]
    permissions: Annotated[list[str], "the permission ids it grants, in catalog order"]
    collaborators: Annotated[list[str], "its holders: the pending and active collaborators"]
    assigned: Annotated[list[str], "the expired and ended collaborators still assigned to it"]


# -- collaborators --------------------------------------------------------------------------


class Membership(TypedDict):
    user: Annotated[str, "the collaborator's email"]
    account: Annotated[str, "the account"]
    profile: Annotated[
        str | None,
        "the profile; once it is deleted, an invitation that was history by then"
        " (declined, revoked, replaced by a newer one) keeps its name (null where a"
        " colabctl before schema 11 took the name off and the audit log no longer says it)",
    ]
    profile_deleted: Annotated[
        bool,
        "true when the invitation's profile was since deleted: `profile` is then the name"
        " it had, not a profile of the account now",
    ]
    status: Annotated[
        str,
        "one of `pending`, `active`, `expired`, `declined`, `revoked` and `ended` (an"
        " accepted membership whose `access_until` has passed; see"
        " [ownership.md](ownership.md#temporary-access))",
    ]
    invited_at: Annotated[str, "when the invitation was made"]
    expires_at: Annotated[
        str | None,
        "the invitation's expiry: null once it was accepted, as it can no longer expire; a"
        " pending, expired, declined or never-accepted revoked invitation keeps it",
    ]
    responded_at: Annotated[str | None, "when the invitee accepted or declined"]
    ended_at: Annotated[
        str | None,
        "when the membership ended (declined, expired, revoked); an `ended` one keeps it"
        " null: its end is `access_until`, reached without any write",
    ]
    invited_by: Annotated[str | None, "who invited them"]
    access_until: Annotated[str | None, "when access ends; null when it does not"]


class Collaborator(Membership):
    name: Annotated[str | None, "the collaborator's display name"]
    permissions: Annotated[
        list[str], "the permission ids the person holds now (empty unless active)"
    ]
    history: Annotated[
        list[Membership], "every invitation of the person in this account, oldest first"
    ]


# -- access questions -----------------------------------------------------------------------


class Result(TypedDict):
    permission: Annotated[str, "the permission's id"]
    allowed: Annotated[bool, "whether the person holds it"]
    reason: Annotated[
        str,
        "why: one of `owner`, `profile:<name>`, `not-granted`, `owner-only`,"
        " `invitation-pending`, `invitation-expired`, `invitation-declined`, `revoked`,"
        " `access-ended`, `not-a-collaborator`, `unknown-account`"
        " ([commands.md](commands.md#access-questions) gives the order they are decided in)",
    ]


class Answer(TypedDict):
    user: Annotated[str, "the person asked about, as given"]
    account: Annotated[str, "the account asked about"]
    allowed: Annotated[
        bool,
        "the overall answer: all of them, or any with `--any`; the exit code agrees (0 or 1)",
    ]
    results: Annotated[list[Result], "one per permission asked, in the order asked"]


class BatchAnswer(TypedDict):
    """A line answered: the input object, plus `allowed` and `reason`."""

    user: Annotated[str, "as the input line gave it"]
    account: Annotated[str, "as the input line gave it"]
    permission: Annotated[str, "as the input line gave it (any other key of the line is kept too)"]
    allowed: Annotated[bool, "the answer"]
    reason: Annotated[str, "why, as in `can --json`'s results"]


class BatchRefused(TypedDict):
    """A line naming an unknown permission: the input object, plus `error`."""

    user: Annotated[str, "as the input line gave it"]
    account: Annotated[str, "as the input line gave it"]
    permission: Annotated[str, "as the input line gave it, unknown (any other key is kept too)"]
    error: Annotated[str, "why the line has no answer"]


class BatchUnread(TypedDict):
    """A line that is no question (the exit code is then 6)."""

    line: Annotated[int, "the input line's number, from 1"]
    input: NotRequired[
        Annotated[Any, "the line's JSON value, when it is JSON but not such an object"]
    ]
    error: Annotated[
        str,
        "why the line could not be read: not UTF-8, not JSON, not such an object, empty,"
        " longer than 64 KB",
    ]


class Holder(TypedDict):
    user: Annotated[str, "the person's email"]
    account: Annotated[str, "the account where they hold it"]
    role: Annotated[str, "`owner`, or their profile"]
    reason: Annotated[str, "why, as in `can --json`'s results"]


class Person(TypedDict):
    user: Annotated[str, "the person's email"]
    role: Annotated[str | None, "`owner`, or their profile"]
    status: Annotated[str | None, "`owner`, `active` or `pending`"]


class Matrix(TypedDict):
    account: Annotated[str, "the account"]
    people: Annotated[
        list[Person], "the owner and every pending or active collaborator: the matrix's columns"
    ]
    grants: Annotated[
        dict[str, list[str]],
        "each person's email to the permission ids they hold now (a pending person holds none)",
    ]
    permissions: Annotated[list[str], "the whole catalog, in order: the matrix's rows"]


# -- audit ----------------------------------------------------------------------------------


class Head(TypedDict):
    seq: Annotated[int, "the last row's seq (0 for an empty log)"]
    hash: Annotated[str, "its hash (64 zeros for an empty log)"]


class AuditRow(TypedDict):
    seq: Annotated[int, "the row's number in the chain"]
    at: Annotated[str, "when it was written"]
    actor: Annotated[
        str | None,
        "who did it; null for rows colabctl writes on its own (an invitation found expired)",
    ]
    account: Annotated[str | None, "the account it is about"]
    action: Annotated[str, "what was done (`invitation.create`, `profile.edit`, ...)"]
    target: Annotated[str | None, "what it was done to: a person, a profile, an account"]
    details: Annotated[
        dict[str, Any],
        "depends on the action: what the row stores and hashes, except that for anyone but"
        " the account's owner a tax ID and its country (in `account.create` and"
        " `account.set_tax_id` rows, `apply`'s included) are null",
    ]
    db_login: Annotated[
        str | None, "the database login that wrote the row (PostgreSQL); null on SQLite"
    ]
    change: Annotated[
        str,
        "the row in words, in English whatever the language; it never shows what `details`"
        " hides from the reader",
    ]


class Anchor(TypedDict):
    seq: Annotated[int, "the anchor's seq, as given"]
    hash: Annotated[str, "its hash, as given"]
    in_chain: Annotated[bool, "whether row `seq` is in the log with that hash"]
    problem: Annotated[str | None, "why not; null when it is"]


class Break(TypedDict):
    kind: Annotated[
        str,
        "`user`, `account`, `profile`, `permission`, `membership`, `transfer`, `binding`,"
        " `ack`, or `row` for a row that does not replay",
    ]
    account: Annotated[str | None, "null for a user, a binding or an account-less row"]
    subject: Annotated[
        str | None,
        "the person, profile, finding or login; for an account's own field, the field"
        " (`name`, `owner`, `tax_id`, `country`); for a row, `seq N`",
    ]
    store: Annotated[
        Any, "what the tables say (null where they have nothing; for a tax ID, always null)"
    ]
    log: Annotated[Any, "what the log says (null where it has nothing; for a tax ID, always null)"]
    message: Annotated[
        str, "the line the text form prints: English here, translated in the text form"
    ]


class Verification(TypedDict):
    intact: Annotated[
        bool,
        "whether the chain, the anchor and the state all hold; the exit code agrees (0 or 1)",
    ]
    rows: Annotated[int, "the rows read, up to and including the first bad one"]
    first_bad_seq: Annotated[
        int | None,
        "the first row where the chain breaks; null when it holds, and for a problem no"
        " single row stands for (a missing head record)",
    ]
    problem: Annotated[str | None, "what is wrong with the chain; null when it holds"]
    head: Annotated[Head | None, "the store's head record; null when it is missing"]
    anchor: Annotated[Anchor | None, "the `--anchor` checked; null without it"]
    breaks: Annotated[
        list[Break],
        "every difference between the state the log describes and the tables (`[]` when"
        " the state holds)",
    ]
    state_from: Annotated[
        int | None,
        "the seq the state check started at (1, or the last `store.checkpoint`); null when"
        " it was skipped",
    ]
    state_skipped: Annotated[
        str | None,
        "why the state check was skipped: `chain broken`, or `schema 8` for a store behind"
        " this colabctl (verify does not migrate it); null when it ran",
    ]


# -- store ----------------------------------------------------------------------------------


class StoreInfo(TypedDict):
    engine: Annotated[str, "`sqlite` or `postgresql`"]
    location: Annotated[
        str, "the file's path as given, or the URL with its password (if any) as `***`"
    ]
    schema_version: Annotated[int, "the store's schema version"]
    counts: Annotated[
        dict[str, int],
        "the rows of every colabctl table, in the order `store copy` writes them, zero"
        " included (the store's own bookkeeping is not counted)",
    ]
    head: Annotated[Head, "the audit head record"]
    db_login: Annotated[str | None, "the database login in use on PostgreSQL; null on SQLite"]


class StoreRef(TypedDict):
    engine: Annotated[str, "`sqlite` or `postgresql`"]
    location: Annotated[str, "as `store info` shows it"]


class StoreCopy(TypedDict):
    rows: Annotated[int, "the sum of `counts`: the rows DST holds after the copy"]
    counts: Annotated[dict[str, int], "DST's rows per table, checked equal to SRC's table by table"]
    head: Annotated[Head, "DST's audit head, checked equal to SRC's"]
    source: Annotated[StoreRef, "SRC"]
    destination: Annotated[StoreRef, "DST"]


# -- review ---------------------------------------------------------------------------------


class Ack(TypedDict):
    by: Annotated[str, "who acknowledged it"]
    at: Annotated[str, "when"]
    reason: Annotated[str, "why, as they said it"]


class Finding(TypedDict):
    id: Annotated[str, "the finding's id (`review ack ID`); see [review.md](review.md#findings)"]
    severity: Annotated[str, "`high`, `medium` or `low`"]
    kind: Annotated[str, "what was found; the kinds are listed in [review.md](review.md#findings)"]
    account: Annotated[str, "the account"]
    subject: Annotated[str, "whom or what it is about: a person or a profile"]
    message: Annotated[str, "the finding in words: English in every language"]
    status: Annotated[str, "`open` or `acknowledged`"]
    ack: Annotated[Ack | None, "the acknowledgement in force; null when open"]
    reopened: Annotated[
        Ack | None,
        "an earlier acknowledgement whose subject has changed since (the finding is open"
        " again); null when none",
    ]
    on_acceptance: Annotated[
        bool,
        "true only in a plan's review, for a pending invitee judged as if they had accepted",
    ]


class Review(TypedDict):
    findings: Annotated[list[Finding], "every finding, open and acknowledged"]


# -- team as code ---------------------------------------------------------------------------


class Change(TypedDict):
    account: Annotated[str, "the account it changes"]
    kind: Annotated[
        str,
        "one of the change kinds [team-file.md](team-file.md#changes-in-order) lists, in"
        " that order",
    ]
    target: Annotated[
        str,
        "what it changes: a person, a profile, the account (a `register-user` change: the"
        " actor's address)",
    ]
    before: Annotated[
        Any,
        "depends on the kind: a profile name, or an object (`{profile, expires_in,"
        " access_until}` for an invite, `{permissions, description, ...}` for a profile);"
        " null where nothing was there",
    ]
    after: Annotated[Any, "as `before`, after the change; null where nothing will be"]
    gains: Annotated[
        dict[str, list[str]], "each person to the permission ids they gain through this change"
    ]
    losses: Annotated[
        dict[str, list[str]], "each person to the permission ids they lose through this change"
    ]
    on_acceptance: Annotated[list[str], "the people whose gains wait for them to accept"]


class PlanFindings(TypedDict):
    new: Annotated[
        list[Finding],
        "the review findings applying the plan opens, with the ids `review` gives them after"
        " the apply ([team-file.md](team-file.md#the-plans-review))",
    ]
    resolved: Annotated[list[Finding], "the review findings it closes"]


class Plan(TypedDict):
    head: Annotated[Head, "the audit head the plan was computed against"]
    changes: Annotated[list[Change], "in the order they apply"]
    warnings: Annotated[
        list[str],
        "declined and revoked people the file still declares, in English whatever the language",
    ]
    notes: Annotated[list[str], "pending invitations, what `--prune` would remove; in English"]
    findings: Annotated[
        PlanFindings, "the plan's review (both lists empty when the plan has no changes)"
    ]


class _ApplyId(TypedDict):
    apply_id: Annotated[
        str | None,
        "the id every audit row of this apply carries; null when there was nothing to do",
    ]


class Applied(_ApplyId, Plan):
    pass


class PlanOptions(TypedDict):
    prune: Annotated[bool, "`--prune` was given"]
    reinvite: Annotated[bool, "`--reinvite` was given"]


class _SavedHeader(TypedDict):
    format: Annotated[str, "`colabctl-plan`"]
    version: Annotated[int, "the saved plan's format version: 1"]
    actor: Annotated[str | None, "who planned it"]
    options: Annotated[PlanOptions, "the options it was planned with"]


class SavedPlan(_SavedHeader, Plan):
    pass


# -- policy tests ---------------------------------------------------------------------------


class Coverage(TypedDict):
    percent: Annotated[float, "the delegable permissions some assertion names, in percent"]
    minimum: Annotated[float | None, "`--min-coverage`; null without it"]
    named: Annotated[list[str], "the ids named, in catalog order"]
    uncovered: Annotated[list[str], "the delegable ids no assertion names"]


class Failure(TypedDict):
    user: Annotated[str | None, "who"]
    permission: Annotated[str | None, "which permission"]
    expected: Annotated[str, "what the test expected"]
    actual: Annotated[str, "what is"]


class CaseCommon(TypedDict):
    kind: Annotated[str, "`allow`, `deny`, `only` or `matrix`"]
    line: Annotated[int, "the line of the assertion in its test file"]
    account: Annotated[str, "the account"]
    user: Annotated[str | None, "the person (`allow`, `deny`)"]
    permission: Annotated[str | None, "the permission's id (`allow`, `deny`, `only`)"]
    expected: Annotated[str, "what the assertion expects"]
    passed: Annotated[bool, "whether it held"]
    allowed: Annotated[
        bool | None, "`decide`'s answer for `allow` and `deny` cases (null for the others)"
    ]
    reason: Annotated[str | None, "its reason, as in `can --json`'s results (null as `allowed`)"]


class CaseKinds(TypedDict, total=False):
    holders: Annotated[list[str], "`only` cases alone: the holders it names"]
    file: Annotated[str, "`matrix` cases alone: the snapshot file"]


class CaseResult(CaseCommon, CaseKinds):
    failures: Annotated[list[Failure], "one per failure line"]


class PolicyFile(TypedDict):
    file: Annotated[str, "the test file, as named"]
    team: Annotated[str | None, "the team file it was judged on; null in live mode"]
    cases: Annotated[list[CaseResult], "one per assertion"]


class PolicyRun(TypedDict):
    passed: Annotated[int, "the test cases that passed (one per assertion)"]
    failed: Annotated[
        int,
        "those that failed; the exit code is 1 when this is not 0 or `coverage.percent` is"
        " below `coverage.minimum`",
    ]
    coverage: Annotated[Coverage, "which delegable permissions the assertions name"]
    files: Annotated[list[PolicyFile], "per test file"]
    notes: Annotated[list[str], "what the run noticed, in English"]


# -- reference ------------------------------------------------------------------------------


class ExitCodeEntry(TypedDict):
    code: Annotated[int, "the exit code"]
    name: Annotated[str, "its name (`ok`, `not_found`, ...)"]
    meaning: Annotated[str, "what it means, in English"]


# -- the registry ---------------------------------------------------------------------------


class Shape(NamedTuple):
    """What one command prints (or one object several share), for docs/json.md and the
    tests. FORM: `object`, `list` (a bare array of SHAPE) or `lines` (one JSON document per
    line, each one of VARIANTS). EXTENDS: the id of another entry whose keys this one's
    start or end with (rendered as "the keys of ...")."""

    id: str
    title: str
    command: tuple[str, ...] | None  # None: an object documented once, nested elsewhere
    shape: type
    about: str
    form: str = "object"
    extends: str | None = None
    variants: tuple[type, ...] = ()


SHAPES: tuple[Shape, ...] = (
    Shape("whoami", "whoami --json", ("whoami",), WhoAmI, "an object."),
    Shape(
        "whoami-account",
        "whoami --account SLUG --json",
        ("whoami",),
        RoleAt,
        "an object: the actor's role in SLUG and what it lets them do there.",
    ),
    Shape(
        "account-list",
        "account list --json",
        ("account", "list"),
        Account,
        "a list, one object per account the actor owns or actively collaborates on.",
        form="list",
    ),
    Shape(
        "account-show",
        "account show SLUG --json",
        ("account", "show"),
        AccountShown,
        "an object: the account, as `account list` shows it, and its counts.",
        extends="account-list",
    ),
    Shape(
        "permissions",
        "permissions --json",
        ("permissions",),
        PermissionEntry,
        "a list, one object per permission of the catalog, in catalog order.",
        form="list",
    ),
    Shape(
        "preset-list",
        "preset list --json",
        ("preset", "list"),
        Preset,
        "a list, one object per preset.",
        form="list",
    ),
    Shape(
        "preset-show",
        "preset show NAME --json",
        ("preset", "show"),
        Preset,
        "an object: the preset.",
        extends="preset-list",
    ),
    Shape(
        "profile-list",
        "profile list --json",
        ("profile", "list"),
        ProfileSummary,
        "a list, one object per profile of the account, by name.",
        form="list",
    ),
    Shape(
        "profile-show",
        "profile show NAME --json",
        ("profile", "show"),
        Profile,
        "an object: the profile and who holds it.",
    ),
    Shape(
        "collaborator-list",
        "collaborator list --json",
        ("collaborator", "list"),
        Membership,
        "a list, one object per invitation ever made in the account, oldest first.",
        form="list",
    ),
    Shape(
        "collaborator-show",
        "collaborator show EMAIL --json",
        ("collaborator", "show"),
        Collaborator,
        "an object: the person's current membership, what they hold and their history.",
        extends="collaborator-list",
    ),
    Shape(
        "can",
        "can EMAIL PERMISSION... --json",
        ("can",),
        Answer,
        "an object.",
    ),
    Shape(
        "can-batch",
        "can --batch FILE",
        ("can",),
        BatchAnswer,
        "one line per input line, in the same order, each one JSON object: the answer, or"
        " why the line has none.",
        form="lines",
        variants=(BatchAnswer, BatchRefused, BatchUnread),
    ),
    Shape(
        "who-can",
        "who-can PERMISSION --json",
        ("who-can",),
        Holder,
        "a list, one object per person who holds the permission, account by account.",
        form="list",
    ),
    Shape("matrix", "matrix --json", ("matrix",), Matrix, "an object."),
    Shape(
        "audit-log",
        "audit log --json",
        ("audit", "log"),
        AuditRow,
        "a list, newest first, 50 rows unless `--limit` says otherwise, after the filters"
        " (`--action`, `--target`, `--since`, `--until`, `--actor`).",
        form="list",
    ),
    Shape("audit-head", "audit head --json", ("audit", "head"), Head, "an object."),
    Shape(
        "audit-verify",
        "audit verify --json",
        ("audit", "verify"),
        Verification,
        "an object.",
    ),
    Shape("store-info", "store info --json", ("store", "info"), StoreInfo, "an object."),
    Shape(
        "store-copy",
        "store copy SRC DST --json",
        ("store", "copy"),
        StoreCopy,
        "an object.",
    ),
    Shape("plan", "plan --json", ("plan",), Plan, "an object."),
    Shape(
        "apply",
        "apply --json",
        ("apply",),
        Applied,
        "an object: the plan applied, and its id.",
        extends="plan",
    ),
    Shape(
        "saved-plan",
        "plan -o PLAN.json",
        ("plan",),
        SavedPlan,
        "a file (or stdout with `-o -`): the plan, and what `apply PLAN.json` checks it by.",
        extends="plan",
    ),
    Shape("test", "test --json", ("test",), PolicyRun, "an object."),
    Shape(
        "review",
        "review --json",
        ("review",),
        Review,
        "an object.",
    ),
    Shape(
        "finding",
        "a finding",
        None,
        Finding,
        "an object, in `review --json`'s `findings` and in a plan's.",
    ),
    Shape(
        "exit-codes",
        "help exit-codes --json",
        ("help", "exit-codes"),
        ExitCodeEntry,
        "a list, one object per exit code, in order.",
        form="list",
    ),
)
