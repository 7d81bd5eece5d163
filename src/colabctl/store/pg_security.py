"""Who may read and write what on a shared PostgreSQL store, enforced by the server
itself (docs/postgres.md, "What each login may do"): migration m010's statements, the
grants `store bind` gives a login and `store unbind` takes away, and the narrow
functions that answer a team login's questions about the whole store.

Two kinds of login. The *store owner* owns colabctl's tables (or is a member of the role
that does): it migrates, binds and is trusted like the owner of a SQLite file; row-level
security is not forced on it. Every other login is a *team login*, and can do nothing
until it is bound to a user (`store_bindings`). A bound login then reads and writes
exactly what colabctl lets its user read and write:

- Row-level security policies on every table, keyed on the binding. Each policy tests
  the row's own columns (so that `INSERT ... RETURNING` passes) against "me", the bound
  user: `_ME`, a subquery on the login's own binding, planned once per statement.
  Whether an account is mine, one I collaborate on, or one I am invited or offered to is
  read from views that the store owner owns (`colabctl_reach` and two more): a view
  reads its tables with its owner's rights, so a policy that uses one never recurses
  into another table's policies. Each view shows only the asking login's own reach.
- Column privileges where a policy cannot tell columns apart: `accounts.tax_country`
  and `tax_id` are readable by nobody but the store owner; an account's owner reads
  them through the `account_data` view, and everyone else reads them there as NULL.
  Audit rows reach a team login only through the `audit_log` view: their account's rows
  but review acks (the owner's alone), tax data as NULL unless the login's user owns
  the account, account-less rows only about its own user.
- Guard triggers for what a policy cannot see, the old row beside the new one: an
  invitee may move its own pending invitation to active, declined or expired and change
  nothing else; a transfer's recipient takes the ownership and nothing more; every
  audit row a team login appends must carry its true hash and an action its user may
  perform in that account.
- Functions (SECURITY DEFINER, search_path pinned) answer the questions colabctl's own
  commands ask about the whole store, and nothing more. All are revoked from PUBLIC but
  `colabctl_login()`, which tells any login only whether it is bound.

Nothing here is schema-qualified (as in pg_migrations): policies and views are stored
as parse trees, bound to the objects they name when the migration runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

# The bound user of the login running the statement (NULL for any other login).
_ME = "(SELECT b.user_id FROM store_bindings b WHERE b.login = session_user::text)"
# The login owns colabctl's tables (or is a member of the role that does).
_STORE_OWNER = (
    "pg_has_role(session_user, (SELECT c.relowner FROM pg_class c"
    " WHERE c.oid = 'audit'::regclass), 'MEMBER')"
)
# A trigger's: the login owns the table the trigger fires on.
_TRIGGER_BY_OWNER = (
    "pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')"
)
OWNER_ONLY = ("account.data", "account.bank", "team.manage", "account.ownership")

# The views a bound login's policies read through. Each shows only the asking login's
# own reach, and each is probed for one account, profile or person at a time by a
# scalar subquery (planned as a lookup per row, never as a scan of everything the login
# reaches: an owner of a thousand accounts would pay for all of them on every row).
HELPER_VIEWS = (
    "colabctl_owned",
    "colabctl_active",
    "colabctl_mine",
    "colabctl_offers",
    "colabctl_readable_profiles",
    "colabctl_people",
)
# The views colabctl reads on both engines (store/migrations.py m010 on SQLite).
VIEWS = ("account_data", "audit_log")


def _probe(view: str, column: str, value: str, extra: str = "") -> str:
    """Whether VIEW has a row whose COLUMN is VALUE: true, or NULL (which a policy, like
    a WHERE, reads as no)."""
    return f"(SELECT true FROM {view} v WHERE v.{column} = {value}{extra} LIMIT 1)"


def _owns(account: str) -> str:
    return _probe("colabctl_owned", "account_id", account)


def _reads(account: str) -> str:
    """The bound user owns the account or actively collaborates on it."""
    return f"({_owns(account)} OR {_probe('colabctl_active', 'account_id', account)})"


def _reaches(account: str) -> str:
    """The bound user reads the account, has a membership row there (of any status: it
    was told of the account), or is offered it."""
    return (
        f"({_reads(account)} OR {_probe('colabctl_mine', 'account_id', account)}"
        f" OR {_probe('colabctl_offers', 'account_id', account)})"
    )


_VIEWS = [
    # (`owner_id + 0`: looked up by the account's key, never by the owner's: an owner of
    # many accounts would otherwise have them all read for each one probed)
    f"""
    CREATE VIEW colabctl_owned WITH (security_barrier) AS
        SELECT a.id AS account_id FROM accounts a WHERE a.owner_id + 0 = {_ME}
    """,
    f"""
    CREATE VIEW colabctl_active WITH (security_barrier) AS
        SELECT m.account_id FROM memberships m WHERE m.user_id = {_ME} AND m.status = 'active'
    """,
    f"""
    CREATE VIEW colabctl_mine WITH (security_barrier) AS
        SELECT m.account_id, m.profile_id, m.invited_by FROM memberships m
        WHERE m.user_id = {_ME}
    """,
    f"""
    CREATE VIEW colabctl_offers WITH (security_barrier) AS
        SELECT t.account_id FROM transfers t WHERE t.to_id = {_ME} AND t.status = 'open'
    """,
    f"""
    CREATE VIEW colabctl_readable_profiles WITH (security_barrier) AS
        SELECT p.id AS profile_id, {_owns("p.account_id")} IS NOT NULL AS owns
        FROM profiles p WHERE {_reads("p.account_id")}
    """,
    # The people the bound user may know of: the people and inviters of the accounts it
    # reads, the owners of those it reaches, whoever invited it, the parties of the
    # offers it may see. Probed by person, most likely first.
    f"""
    CREATE VIEW colabctl_people WITH (security_barrier) AS
        SELECT m.user_id FROM memberships m WHERE {_reads("m.account_id")}
        UNION ALL
        SELECT a.owner_id FROM accounts a WHERE {_reaches("a.id")}
        UNION ALL
        SELECT v.invited_by FROM colabctl_mine v
        UNION ALL
        SELECT m.invited_by FROM memberships m WHERE {_reads("m.account_id")}
        UNION ALL
        SELECT t.from_id FROM transfers t WHERE t.to_id = {_ME} OR {_owns("t.account_id")}
        UNION ALL
        SELECT t.to_id FROM transfers t WHERE {_owns("t.account_id")}
    """,
    # Whether an account is a legal entity, for whoever may read the account; its tax ID
    # and country for its owner (and the store owner) alone.
    f"""
    CREATE VIEW account_data WITH (security_barrier) AS
        SELECT a.id AS account_id, a.tax_id IS NOT NULL AS legal_entity,
               CASE WHEN {_STORE_OWNER} OR a.owner_id = {_ME} THEN a.tax_country END
                   AS tax_country,
               CASE WHEN {_STORE_OWNER} OR a.owner_id = {_ME} THEN a.tax_id END AS tax_id
        FROM accounts a
        WHERE {_STORE_OWNER} OR a.owner_id = {_ME} OR {_reaches("a.id")}
    """,
    # The audit rows a login may read (docs/postgres.md): all of them for the store owner;
    # for a bound login the rows of the accounts it reads but review acks (its own
    # accounts' aside), with tax data as null unless its user owns the account, and the
    # account-less rows about its own user. `login_differs`: the row's login is someone
    # other than its actor (not the actor's bound login), read with the view owner's
    # rights, as colabctl shows it.
    f"""
    CREATE VIEW audit_log WITH (security_barrier) AS
        SELECT au.seq, au.at, au.actor, au.account, au.action, au.target,
               CASE WHEN {_STORE_OWNER}
                         OR EXISTS (SELECT 1 FROM accounts a
                                    WHERE a.slug = au.account AND a.owner_id = {_ME})
                         OR (au.details NOT LIKE '%"tax_id"%'
                             AND au.details NOT LIKE '%"country"%'
                             AND au.details NOT LIKE '%"previous"%')
                    THEN au.details
                    ELSE (SELECT coalesce(jsonb_object_agg(e.key,
                                 CASE WHEN e.key IN ('tax_id', 'country')
                                        OR (au.action = 'account.set_tax_id'
                                            AND e.key = 'previous')
                                      THEN 'null'::jsonb ELSE e.value END), '{{}}'::jsonb)::text
                          FROM jsonb_each(au.details::jsonb) e)
               END AS details,
               au.db_login,
               au.db_login IS NOT NULL AND coalesce(au.actor, '') <> au.db_login
                   AND NOT EXISTS (SELECT 1 FROM store_bindings b JOIN users u
                                   ON u.id = b.user_id
                                   WHERE b.login = au.db_login AND u.email = au.actor)
                   AS login_differs
        FROM audit au
        WHERE {_STORE_OWNER}
           OR (au.account IS NOT NULL AND EXISTS (
                   SELECT 1 FROM accounts a WHERE a.slug = au.account AND {_reads("a.id")}
                     AND (au.action <> 'review.ack' OR {_owns("a.id")})))
           OR (au.account IS NULL AND au.action IN ('user.create', 'user.rename')
               AND au.target = (SELECT u.email FROM users u WHERE u.id = {_ME}))
           OR (au.account IS NULL AND au.action IN ('store.bind', 'store.unbind')
               AND au.details::jsonb ->> 'user' = (SELECT u.email FROM users u
                                                   WHERE u.id = {_ME}))
    """,
]

_OWNS_PROFILE = _probe("colabctl_readable_profiles", "profile_id", "{}", " AND v.owns")

# (table, policy name, command, USING, WITH CHECK)
_POLICIES: list[tuple[str, str, str, str | None, str | None]] = [
    ("users", "users_read", "SELECT",
     f"id = {_ME} OR {_probe('colabctl_people', 'user_id', 'users.id')}", None),
    ("users", "users_rename", "UPDATE", f"id = {_ME}", f"id = {_ME}"),
    ("accounts", "accounts_read", "SELECT", f"owner_id = {_ME} OR {_reaches('accounts.id')}",
     None),
    ("accounts", "accounts_create", "INSERT", None, f"owner_id = {_ME}"),
    ("accounts", "accounts_change", "UPDATE",
     f"owner_id = {_ME} OR {_probe('colabctl_offers', 'account_id', 'accounts.id')}",
     f"owner_id = {_ME}"),
    ("profiles", "profiles_read", "SELECT",
     f"{_reads('profiles.account_id')}"
     f" OR {_probe('colabctl_mine', 'profile_id', 'profiles.id')}", None),
    ("profiles", "profiles_create", "INSERT", None, _owns("profiles.account_id")),
    ("profiles", "profiles_change", "UPDATE",
     _owns("profiles.account_id"), _owns("profiles.account_id")),
    ("profiles", "profiles_delete", "DELETE", _owns("profiles.account_id"), None),
    ("profile_permissions", "permissions_read", "SELECT",
     _probe("colabctl_readable_profiles", "profile_id", "profile_permissions.profile_id"),
     None),
    ("profile_permissions", "permissions_create", "INSERT", None,
     _OWNS_PROFILE.format("profile_permissions.profile_id")),
    ("profile_permissions", "permissions_delete", "DELETE",
     _OWNS_PROFILE.format("profile_permissions.profile_id"), None),
    ("memberships", "memberships_read", "SELECT",
     f"user_id = {_ME} OR {_reads('memberships.account_id')}", None),
    ("memberships", "memberships_create", "INSERT", None, _owns("memberships.account_id")),
    ("memberships", "memberships_change", "UPDATE",
     f"user_id = {_ME} OR {_owns('memberships.account_id')}",
     f"user_id = {_ME} OR {_owns('memberships.account_id')}"),
    ("transfers", "transfers_read", "SELECT",
     f"to_id = {_ME} OR {_owns('transfers.account_id')}", None),
    ("transfers", "transfers_create", "INSERT", None,
     f"from_id = {_ME} AND {_owns('transfers.account_id')}"),
    ("transfers", "transfers_change", "UPDATE",
     f"to_id = {_ME} OR {_owns('transfers.account_id')}",
     f"to_id = {_ME} OR {_owns('transfers.account_id')}"),
    ("review_acks", "acks_read", "SELECT", _owns("review_acks.account_id"), None),
    ("review_acks", "acks_create", "INSERT", None,
     f"{_owns('review_acks.account_id')}"
     f" AND actor = (SELECT u.email FROM users u WHERE u.id = {_ME})"),
    ("audit", "audit_append", "INSERT", None,
     f"{_ME} IS NOT NULL AND db_login = session_user::text"),
    ("audit_head", "head_read", "SELECT", f"{_ME} IS NOT NULL", None),
    ("audit_head", "head_move", "UPDATE", f"{_ME} IS NOT NULL", f"{_ME} IS NOT NULL"),
    ("colabctl_schema", "version_read", "SELECT", f"{_ME} IS NOT NULL", None),
    ("store_bindings", "binding_read", "SELECT", "login = session_user::text", None),
]  # fmt: skip

# Row-level security on every table of the store's schema, whatever a later migration
# adds (run again after every migration: `regrant`), so that no table is ever open to a
# login that was granted it.
_SECURE_EVERY_TABLE = """
DO $$
DECLARE
    item RECORD;
BEGIN
    FOR item IN SELECT relname FROM pg_class
                WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'
                  AND NOT relrowsecurity
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', item.relname);
    END LOOP;
END
$$
"""


def _policy(table: str, name: str, command: str, using: str | None, check: str | None) -> str:
    clauses = (f" USING ({using})" if using else "") + (f" WITH CHECK ({check})" if check else "")
    return f"CREATE POLICY {name} ON {table} FOR {command} TO PUBLIC{clauses}"


def _refusal(message: str) -> str:
    """A PL/pgSQL RAISE that colabctl maps to exit 5 (`the store refused: ...`)."""
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';"


def _guard(function: str, body: str, declare: str = "", *, replace: bool = False) -> str:
    """A guard trigger function: the store owner passes; a team login is judged by
    BODY, which sees `me` (its bound user, NULL if unbound) and returns or raises.
    REPLACE: a later migration's new version of it."""
    create = "CREATE OR REPLACE FUNCTION" if replace else "CREATE FUNCTION"
    return f"""
    {create} {function}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        me BIGINT;
        {declare}
    BEGIN
        IF {_TRIGGER_BY_OWNER} THEN
            RETURN NEW;
        END IF;
        SELECT user_id INTO me FROM store_bindings WHERE login = session_user::text;
        IF me IS NULL THEN
            {_refusal("the login is not bound to a colabctl user")}
        END IF;
        {body}
    END
    $$
    """


def _memberships_guard(*, keeps_name: bool = False) -> str:
    """The owner writes its account's memberships (each holding a profile of that
    account); anyone else only answers its own: pending to active, declined or expired,
    and a transfer's recipient ends its own membership. Nothing else in the row changes:
    from m011 on (KEEPS_NAME), that includes the name a history row keeps."""
    kept = "           AND NEW.profile_name IS NOT DISTINCT FROM OLD.profile_name\n"
    kept = kept if keeps_name else ""
    body = f"""
        IF NEW.profile_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM profiles
                WHERE id = NEW.profile_id AND account_id = NEW.account_id) THEN
            {_refusal("a membership holds a profile of its own account")}
        END IF;
        owns := EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND owner_id = me);
        IF TG_OP = 'INSERT' THEN
            IF owns AND NEW.invited_by = me THEN
                RETURN NEW;
            END IF;
            {_refusal("only an account''s owner invites into it")}
        END IF;
        IF NEW.account_id <> OLD.account_id OR NEW.user_id <> OLD.user_id
           OR NEW.invited_by IS DISTINCT FROM OLD.invited_by
           OR NEW.invited_at <> OLD.invited_at THEN
            {_refusal("a membership stays whose and where it is")}
        END IF;
        IF owns THEN
            RETURN NEW;
        END IF;
        IF OLD.user_id = me
           AND NEW.profile_id IS NOT DISTINCT FROM OLD.profile_id
{kept}           AND NEW.expires_at = OLD.expires_at
           AND NEW.access_until IS NOT DISTINCT FROM OLD.access_until
           AND ((OLD.status = 'pending' AND NEW.status = 'active'
                 AND NEW.responded_at IS NOT NULL
                 AND NEW.ended_at IS NOT DISTINCT FROM OLD.ended_at)
             OR (OLD.status = 'pending' AND NEW.status = 'declined'
                 AND NEW.responded_at IS NOT NULL AND NEW.ended_at IS NOT NULL)
             OR (OLD.status = 'pending' AND NEW.status = 'expired'
                 AND NEW.ended_at = OLD.expires_at
                 AND NEW.responded_at IS NOT DISTINCT FROM OLD.responded_at)
             OR (OLD.status = 'active' AND NEW.status = 'revoked' AND NEW.ended_at IS NOT NULL
                 AND NEW.responded_at IS NOT DISTINCT FROM OLD.responded_at
                 AND EXISTS (SELECT 1 FROM transfers t WHERE t.account_id = OLD.account_id
                             AND t.to_id = me AND t.status = 'open')))
        THEN
            RETURN NEW;
        END IF;
        {_refusal("an invitee only accepts, declines or expires its own pending invitation")}
        """
    return _guard(
        "colabctl_guard_memberships",
        body,
        declare="owns BOOLEAN;",
        replace=keeps_name,
    )


_GUARDS = [
    # An account's owner keeps it (only a transfer's recipient takes it over, and then
    # changes nothing else).
    _guard(
        "colabctl_guard_accounts",
        f"""
        IF OLD.owner_id = me AND NEW.owner_id = me THEN
            RETURN NEW;
        END IF;
        IF NEW.owner_id = me AND NEW.name = OLD.name
           AND NEW.tax_country IS NOT DISTINCT FROM OLD.tax_country
           AND NEW.tax_id IS NOT DISTINCT FROM OLD.tax_id
           AND EXISTS (SELECT 1 FROM transfers t WHERE t.account_id = OLD.id
                       AND t.from_id = OLD.owner_id AND t.to_id = me AND t.status = 'open')
        THEN
            RETURN NEW;
        END IF;
        {_refusal("only the recipient of an open transfer offer takes an account over")}
        """,
    ),
    _memberships_guard(),  # (m011 replaces it: M011 below)
    # An offer goes from the owner to an active collaborator; it is cancelled by the
    # owner, accepted by its recipient once the account is theirs, expired by either.
    _guard(
        "colabctl_guard_transfers",
        f"""
        IF TG_OP = 'INSERT' THEN
            IF NEW.status = 'open' AND NEW.closed_at IS NULL
               AND EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id
                           AND owner_id = me AND NEW.from_id = me)
               AND EXISTS (SELECT 1 FROM memberships WHERE account_id = NEW.account_id
                           AND user_id = NEW.to_id AND status = 'active') THEN
                RETURN NEW;
            END IF;
            {_refusal("an account is offered by its owner to an active collaborator")}
        END IF;
        IF OLD.status = 'open' AND NEW.id = OLD.id AND NEW.account_id = OLD.account_id
           AND NEW.from_id = OLD.from_id AND NEW.to_id = OLD.to_id
           AND NEW.keep_as IS NOT DISTINCT FROM OLD.keep_as
           AND NEW.offered_at = OLD.offered_at AND NEW.expires_at = OLD.expires_at
           AND ((NEW.status = 'cancelled' AND OLD.from_id = me
                 AND EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id AND owner_id = me))
             OR (NEW.status = 'expired' AND NEW.closed_at = OLD.expires_at
                 AND (OLD.to_id = me OR EXISTS (SELECT 1 FROM accounts
                                                WHERE id = OLD.account_id AND owner_id = me)))
             OR (NEW.status = 'accepted' AND OLD.to_id = me
                 AND EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id AND owner_id = me)))
        THEN
            RETURN NEW;
        END IF;
        {_refusal("a transfer offer is only cancelled, accepted or expired, by its parties")}
        """,
    ),
    # No profile ever holds an owner-only id.
    _guard(
        "colabctl_guard_permissions",
        f"""
        IF NEW.permission IN ({", ".join(f"'{p}'" for p in OWNER_ONLY)}) THEN
            {_refusal("an owner-only permission is never held by a profile")}
        END IF;
        RETURN NEW;
        """,
    ),
]

# What a bound login's user may record in an account (docs/postgres.md): the owner's
# actions, and what anyone does about itself.
_OWNER_ACTIONS = (
    "account.create",
    "account.rename",
    "account.set_tax_id",
    "profile.create",
    "profile.edit",
    "profile.delete",
    "invitation.create",
    "invitation.renew",
    "invitation.expire",
    "collaborator.set_profile",
    "collaborator.remove",
    "collaborator.set_access_until",
    "account.transfer_offer",
    "account.transfer_cancel",
    "account.transfer_expire",
    "review.ack",
)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _json(expression: str) -> str:
    """A value as store/audit.py's canonical JSON writes it (to_json escapes exactly as
    Python's json does with ensure_ascii=False)."""
    return f"coalesce(to_json({expression})::text, 'null')"


# The canonical text a row's hash covers (store/audit.chained_hash), keys in order.
_CANONICAL = (
    f"""'{{"account":' || {_json("NEW.account")} || ',"action":' || {_json("NEW.action")}"""
    f""" || ',"actor":' || {_json("NEW.actor")} || ',"at":' || {_json("NEW.at")} || ','"""
    """ || CASE WHEN NEW.db_login IS NULL THEN '' ELSE '"db_login":' || """
    f"""{_json("NEW.db_login")} || ',' END"""
    f""" || '"details":' || {_json("NEW.details")} || ',"seq":' || NEW.seq::text"""
    f""" || ',"target":' || {_json("NEW.target")} || '}}'"""
)

_AUDIT_GUARD = _guard(
    "colabctl_guard_audit",
    f"""
    IF NEW.hash IS DISTINCT FROM encode(sha256(convert_to(NEW.prev_hash || {_CANONICAL},
                                                          'UTF8')), 'hex') THEN
        {_refusal("an audit row carries the hash of its content and of the row before it")}
    END IF;
    SELECT email INTO mine FROM users WHERE id = me;
    IF NEW.actor IS DISTINCT FROM mine
       AND NOT (NEW.actor IS NULL
                AND NEW.action IN ('invitation.expire', 'account.transfer_expire')) THEN
        {_refusal("a bound login records its own user''s actions")}
    END IF;
    IF NEW.account IS NULL THEN
        IF NEW.action = 'user.rename' AND NEW.target = mine THEN
            RETURN NEW;
        END IF;
        {_refusal("this action is not one the login''s user may perform")}
    END IF;
    SELECT id, owner_id = me INTO account, owns FROM accounts WHERE slug = NEW.account;
    IF owns AND (NEW.action IN ({_quoted(_OWNER_ACTIONS)})
                 OR (NEW.action = 'account.transfer_accept' AND NEW.target = mine)) THEN
        RETURN NEW;
    END IF;
    -- what anyone records about itself: the answer to its own invitation, the expiry of
    -- its own invitation or offer, each with the change it records, made by this very
    -- transaction (its row's xmin)
    IF NEW.target = mine AND (
        EXISTS (SELECT 1 FROM memberships WHERE account_id = account AND user_id = me
                AND xmin = pg_current_xact_id()::xid
                AND status = CASE NEW.action WHEN 'invitation.accept' THEN 'active'
                                             WHEN 'invitation.decline' THEN 'declined'
                                             WHEN 'invitation.expire' THEN 'expired' END)
        OR (NEW.action = 'account.transfer_expire'
            AND EXISTS (SELECT 1 FROM transfers WHERE account_id = account AND to_id = me
                        AND status = 'expired' AND xmin = pg_current_xact_id()::xid)))
    THEN
        RETURN NEW;
    END IF;
    {_refusal("this action is not one the login''s user may perform in that account")}
    """,
    declare="mine TEXT; account BIGINT; owns BOOLEAN;",
)


def _definer(signature: str, returns: str, body: str, *, language: str = "sql") -> str:
    stable = " STABLE" if language == "sql" else ""
    return (
        f"CREATE FUNCTION {signature} RETURNS {returns} LANGUAGE {language}{stable}"
        f" SECURITY DEFINER AS $$ {body} $$"
    )


# The questions a team login's commands ask about the whole store, each answered and
# nothing more (docs/postgres.md, "Questions about the whole store").
_QUESTIONS = [
    # Whether this login is bound (and, to a bound login or the store owner, the schema
    # version): the one function every login may call.
    _definer(
        "colabctl_login()",
        "TABLE (version BIGINT, store_owner BOOLEAN, user_id BIGINT, email TEXT)",
        f"""
        SELECT CASE WHEN o.owner OR b.user_id IS NOT NULL
                    THEN (SELECT s.version FROM colabctl_schema s) END,
               o.owner, b.user_id, u.email
        FROM (SELECT {_STORE_OWNER} AS owner) o
        LEFT JOIN store_bindings b ON b.login = session_user::text
        LEFT JOIN users u ON u.id = b.user_id
        """,
    ),
    _definer(
        "colabctl_slug_taken(wanted TEXT)",
        "BOOLEAN",
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE slug = wanted)",
    ),
    # Which of these addresses are registered, exactly as given.
    _definer(
        "colabctl_registered(emails TEXT[])",
        "SETOF TEXT",
        "SELECT email FROM users WHERE email = ANY (emails)",
    ),
    # Which given skeletons belong to a registered user whose identity key is another:
    # the caller learns which of its own addresses collides, never with whom.
    _definer(
        "colabctl_lookalikes(skeletons TEXT[], keys TEXT[])",
        "SETOF TEXT",
        """
        SELECT DISTINCT x.skeleton FROM unnest(skeletons, keys) AS x(skeleton, key)
        JOIN users u ON u.skeleton = x.skeleton WHERE u.email_key <> x.key
        """,
    ),
    _definer(
        "colabctl_user_ids(keys TEXT[])",
        "TABLE (email_key TEXT, id BIGINT)",
        "SELECT u.email_key, u.id FROM users u WHERE u.email_key = ANY (keys)",
    ),
    # max(id)+1 of a whole table: under row-level security a login's own max+1 collides.
    _definer(
        "colabctl_next_id(relation TEXT)",
        "BIGINT",
        """
        DECLARE
            found BIGINT;
        BEGIN
            IF relation NOT IN ('users', 'accounts', 'profiles', 'memberships', 'transfers',
                                'review_acks') THEN
                RAISE EXCEPTION 'no ids in %', relation USING ERRCODE = 'invalid_parameter_value';
            END IF;
            EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I', relation) INTO found;
            RETURN found;
        END
        """,
        language="plpgsql",
    ),
    # New users invited into an account, each registered together with its invitation:
    # by the account's owner (the inviter), into a profile of that account.
    _definer(
        "colabctl_add_invitees(invitees JSON)",
        "VOID",
        f"""
        BEGIN
            IF NOT {_STORE_OWNER} AND EXISTS (
                SELECT 1 FROM json_to_recordset(invitees)
                    AS r(account_id BIGINT, profile_id BIGINT, invited_by BIGINT)
                WHERE r.invited_by IS DISTINCT FROM {_ME}
                   OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.account_id
                                  AND a.owner_id = r.invited_by)
                   OR NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = r.profile_id
                                  AND p.account_id = r.account_id)) THEN
                {_refusal("only an account''s owner invites into it")}
            END IF;
            INSERT INTO users (id, email, email_key, skeleton, created_at)
                SELECT r.user_id, r.email, r.email_key, r.skeleton, r.created_at
                FROM json_to_recordset(invitees) AS r(user_id BIGINT, email TEXT,
                    email_key TEXT, skeleton TEXT, created_at TEXT);
            INSERT INTO memberships (id, account_id, user_id, profile_id, status, invited_by,
                                     invited_at, expires_at, access_until)
                SELECT r.id, r.account_id, r.user_id, r.profile_id, 'pending', r.invited_by,
                       r.invited_at, r.expires_at, r.access_until
                FROM json_to_recordset(invitees) AS r(id BIGINT, account_id BIGINT,
                    user_id BIGINT, profile_id BIGINT, invited_by BIGINT, invited_at TEXT,
                    expires_at TEXT, access_until TEXT);
        END
        """,
        language="plpgsql",
    ),
]

# Every function m010 creates or makes a definer of, by signature (for _pinned).
QUESTIONS = (
    "colabctl_login()",
    "colabctl_slug_taken(text)",
    "colabctl_registered(text[])",
    "colabctl_lookalikes(text[], text[])",
    "colabctl_user_ids(text[])",
    "colabctl_next_id(text)",
    "colabctl_add_invitees(json)",
)
GUARDS = (
    "colabctl_guard_accounts()",
    "colabctl_guard_memberships()",
    "colabctl_guard_transfers()",
    "colabctl_guard_permissions()",
    "colabctl_guard_audit()",
)
# The trigger functions of m001-m008: they run with the table owner's rights from m010
# on (a team login's own rights would see only its rows, and max+1 would collide).
EARLIER_TRIGGERS = (
    "colabctl_users_next_id()",
    "colabctl_accounts_next_id()",
    "colabctl_profiles_next_id()",
    "colabctl_memberships_next_id()",
    "colabctl_transfers_next_id()",
    "colabctl_review_acks_next_id()",
    "colabctl_audit_append_only()",
    "colabctl_audit_head_kept()",
    "colabctl_audit_head_one()",
    "colabctl_audit_head_forward()",
    "colabctl_audit_follows_head()",
    "colabctl_audit_head_covers()",
    "colabctl_owner_not_member()",
    "colabctl_owner_not_member_owner()",
    "colabctl_review_acks_history()",
    "colabctl_audit_db_login()",
    "colabctl_store_bindings_by_owner()",
    "colabctl_audit_append_row()",
)

_TRIGGERS = [
    "CREATE TRIGGER guard_accounts BEFORE UPDATE ON accounts"
    " FOR EACH ROW EXECUTE FUNCTION colabctl_guard_accounts()",
    "CREATE TRIGGER guard_memberships BEFORE INSERT OR UPDATE ON memberships"
    " FOR EACH ROW EXECUTE FUNCTION colabctl_guard_memberships()",
    "CREATE TRIGGER guard_transfers BEFORE INSERT OR UPDATE ON transfers"
    " FOR EACH ROW EXECUTE FUNCTION colabctl_guard_transfers()",
    "CREATE TRIGGER guard_permissions BEFORE INSERT ON profile_permissions"
    " FOR EACH ROW EXECUTE FUNCTION colabctl_guard_permissions()",
    "CREATE TRIGGER guard_audit BEFORE INSERT ON audit"
    " FOR EACH ROW EXECUTE FUNCTION colabctl_guard_audit()",
]

# Whatever anyone was granted on colabctl's tables, views and functions before (docs
# once told owners to grant team logins every table by hand) is taken back: from m010 on,
# only `store bind` grants, and only what the bound user needs. Any login may look up
# names in the store's schema (to ask colabctl_login() whether it is bound), where the
# migrating login may grant that.
_REVOKE_EVERYTHING = """
DO $$
DECLARE
    item RECORD;
BEGIN
    FOR item IN
        SELECT c.relname AS name, CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                                       ELSE quote_ident(pg_get_userbyid(g.grantee)) END AS who
        FROM pg_class c, aclexplode(c.relacl) g
        WHERE c.relnamespace = current_schema()::regnamespace AND g.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %I FROM %s', item.name, item.who);
    END LOOP;
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM PUBLIC', current_schema());
    IF has_schema_privilege(current_schema(), 'USAGE WITH GRANT OPTION') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO PUBLIC', current_schema());
    END IF;
END
$$
"""

M010: list[str] = [
    *_VIEWS,
    "CREATE INDEX memberships_inviter ON memberships(invited_by)",
    "CREATE INDEX transfers_from ON transfers(from_id, account_id)",
    _SECURE_EVERY_TABLE,
    *(_policy(*policy) for policy in _POLICIES),
    *_GUARDS,
    _AUDIT_GUARD,
    *_TRIGGERS,
    *_QUESTIONS,
    *(f"ALTER FUNCTION {function} SECURITY DEFINER" for function in EARLIER_TRIGGERS),
    _REVOKE_EVERYTHING,
]

# m011: a history row keeps the name of its deleted profile (`memberships.profile_name`),
# which only the account's owner writes: the invitee's answer leaves it as it is. (The
# schema's own check also keeps a name off any row that holds a profile.)
M011: list[str] = [_memberships_guard(keeps_name=True)]
M011_GUARDS = ("colabctl_guard_memberships()",)  # (re-created: pinned again)

# -- what a bound login is granted ---------------------------------------------------------

_READS = (
    "users",
    "profiles",
    "profile_permissions",
    "memberships",
    "transfers",
    "review_acks",
    "audit_head",
    "colabctl_schema",
    "store_bindings",
    *HELPER_VIEWS,
    *VIEWS,
)
# (privilege with its columns, if any; the tables or views it is granted on)
GRANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SELECT", _READS),
    ("SELECT (id, slug, name, owner_id, created_at)", ("accounts",)),
    (
        "INSERT",
        ("accounts", "profiles", "profile_permissions", "memberships", "transfers", "review_acks",
         "audit"),
    ),
    ("UPDATE (name)", ("users",)),
    ("UPDATE (name, owner_id, tax_country, tax_id)", ("accounts",)),
    ("UPDATE (description)", ("profiles",)),
    (
        "UPDATE (profile_id, profile_name, status, responded_at, ended_at, expires_at,"
        " access_until)",
        ("memberships",),
    ),
    ("UPDATE (status, closed_at)", ("transfers",)),
    ("UPDATE (seq, hash)", ("audit_head",)),
    ("DELETE", ("profiles", "profile_permissions")),
)  # fmt: skip


def grant_statements(login: str, schema: str) -> list[psycopg.sql.Composed]:
    """What `store bind` grants LOGIN in SCHEMA: the tables and columns its user's
    commands read and write (row-level security narrows them to its rows), and the
    functions that answer its questions about the whole store."""
    from psycopg import sql

    who = sql.Identifier(login)
    found = [
        sql.SQL("GRANT {} ON {} TO {}").format(
            sql.SQL(privilege), sql.SQL(", ").join(map(sql.Identifier, relations)), who
        )
        for privilege, relations in GRANTS
    ]
    found += [
        sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(function), who)
        for function in QUESTIONS[1:]
    ]
    return found


def revoke_statements(login: str, schema: str) -> list[psycopg.sql.Composed]:
    """What `store unbind` runs: every privilege on the store's tables, views and
    functions taken back from LOGIN (column privileges go with their table's)."""
    from psycopg import sql

    who, where = sql.Identifier(login), sql.Identifier(schema)
    return [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(where, who),
        sql.SQL("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {} FROM {}").format(where, who),
    ]


def regrant(conn: psycopg.Connection[Any]) -> None:
    """After migrations: every bound login (whose role still exists) gets exactly the
    grants of this colabctl, in the migrations' own transaction: a migration that adds
    a table extends them, one that drops a privilege takes it back. Functions stay
    revoked from PUBLIC but colabctl_login(), and every table has row-level security."""
    schema = conn.execute("SELECT current_schema()").fetchone()
    assert schema is not None
    conn.execute(_SECURE_EVERY_TABLE)
    conn.execute(
        "DO $$ BEGIN EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM PUBLIC',"
        " current_schema()); END $$"
    )
    conn.execute("GRANT EXECUTE ON FUNCTION colabctl_login() TO PUBLIC")
    logins = conn.execute(
        "SELECT b.login FROM store_bindings b JOIN pg_roles r ON r.rolname = b.login"
        " ORDER BY b.login"
    ).fetchall()
    for (login,) in logins:
        for statement in revoke_statements(login, schema[0]) + grant_statements(login, schema[0]):
            conn.execute(statement)
