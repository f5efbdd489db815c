"""Who may open what, in the demo org: people who sign in, and the sharing that decides for them.

`set_up_people(org)` adds four users with passwords for the fake login page,
a role hierarchy, a public group and the dashboard permission set;
`share_documents(org, people, records, shared_account)` makes
`DocListEntry__c` private (organization-wide default Private), gives every
record to Avery, and shares one account's records with the Finance group:

| person          | role / groups            | documents                       | dashboards |
|-----------------|--------------------------|---------------------------------|------------|
| Avery Owner     | Rep                      | all (owner)                     | no         |
| Casey Manager   | VP Sales (above Rep)     | all (role hierarchy)            | yes (permission set) |
| Drew Finance    | Finance group            | the shared account's only       | no         |
| Blake Outsider  | none                     | none                            | no         |

`seed_documents(stack, ...)` puts migrated documents straight into the backup
bucket and the tracking table (for tests that are about opening documents,
not about migrating them).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revops.access.links import document_link
from revops.store.migration import MigrationStore

if TYPE_CHECKING:
    from local.demo import DemoContext, StepResult

PASSWORD = "demo-Passw0rd!"
DASHBOARD_PERMISSION_SET = "Revops_Dashboards"
FINANCE_GROUP = "Finance"


@dataclass(frozen=True)
class Person:
    key: str
    name: str

    @property
    def username(self) -> str:
        return f"{self.key}@revops.example"


AVERY = Person("avery", "Avery Owner")
CASEY = Person("casey", "Casey Manager")
DREW = Person("drew", "Drew Finance")
BLAKE = Person("blake", "Blake Outsider")
PEOPLE = (AVERY, CASEY, DREW, BLAKE)


@dataclass
class People:
    ids: dict[str, str]  # person key -> User Id
    finance_group: str
    dashboards: str  # permission set Id

    def id(self, person: Person) -> str:
        return self.ids[person.key]


def set_up_people(org: Any) -> People:
    sharing = org.sharing
    vp = sharing.add_role("VP Sales")
    rep = sharing.add_role("Rep", vp)
    ids = {}
    for person in PEOPLE:
        user_id = org.add_user(person.name, person.username, username=person.username)
        org.web.set_password(person.username, PASSWORD)
        ids[person.key] = user_id
    org.update("User", ids[AVERY.key], {"UserRoleId": rep})
    org.update("User", ids[CASEY.key], {"UserRoleId": vp})
    finance = sharing.add_group(FINANCE_GROUP, "Finance")
    sharing.add_member(finance, ids[DREW.key])
    dashboards = sharing.add_permission_set(DASHBOARD_PERMISSION_SET, "revops dashboards")
    sharing.assign_permission_set(ids[CASEY.key], dashboards)
    return People(ids, finance, dashboards)


def share_documents(
    org: Any, people: People, records: Mapping[str, str], shared_account: str | None
) -> None:
    """Private documents owned by Avery; `shared_account`'s shared with Finance (a sharing rule)."""
    org.sharing.set_model("DocListEntry__c", "Private")
    for record_id in records.values():
        org.update("DocListEntry__c", record_id, {"OwnerId": people.id(AVERY)})
        record = org.get("DocListEntry__c", record_id)
        if shared_account and record.get("Account__c") == shared_account:
            org.sharing.share(record_id, people.finance_group, "Read", cause="Rule")


@dataclass(frozen=True)
class SeededDocument:
    record_id: str
    account_id: str
    file_name: str
    key: str
    body: bytes
    link: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def seed_documents(
    stack: Any,
    files: Sequence[tuple[str, str, bytes]],
    base_url: str,
) -> list[SeededDocument]:
    """Migrated documents: (account name, file name, bytes) → records holding their stable link."""
    org, s3 = stack.org, stack.client("s3")
    bucket = stack.physical_name("BackupBucket")
    store = MigrationStore(stack.physical_name("TrackingTable"), "us-east-1")
    accounts: dict[str, str] = {}
    seeded, items = [], []
    for account_name, file_name, body in files:
        if account_name not in accounts:
            accounts[account_name] = org.insert("Account", {"Name": account_name})
        account_id = accounts[account_name]
        key = f"uploads/{account_id}/{account_name.replace(' ', '_')}/{file_name}"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        record_id = org.insert(
            "DocListEntry__c",
            {"Name": file_name, "Account__c": account_id, "File_Name__c": file_name},
        )
        link = document_link(base_url, record_id)
        org.update("DocListEntry__c", record_id, {"Document__c": link})
        items.append(
            store.new_file_item(
                record_id,
                account_id=account_id,
                account_name=account_name,
                original_url=f"s3://external/{file_name}",
                file_name=file_name,
                your_s3_key=key,
                your_s3_url=f"https://{bucket}.s3.amazonaws.com/{key}",
                file_size_bytes=len(body),
                status="backed_up",
                migration_phase=2,
                salesforce_updated=True,
            )
        )
        seeded.append(SeededDocument(record_id, account_id, file_name, key, body, link))
    store.save_files(items)
    return seeded


# --------------------------------------------------------------------------- the demo step

SCREENSHOT_VIEWPORT = {"width": 1100, "height": 760}
WARM_SAMPLE = 10  # with the sample, under DocumentOpensPerMinute (60) per person


def _shot(page: Any, out: Path, name: str, shots: list[str]) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    shots.append(f"{name}.png")


def _sign_in(page: Any, person: Person) -> None:
    page.fill("#username", person.username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#Login")


def _download(page: Any, action: Callable[[], Any]) -> Any:
    with page.expect_download() as info:
        try:
            action()
        except Exception as exc:  # a navigation that ends in a download
            if "Download is starting" not in str(exc):
                raise
    return info.value


def _matrix(ctx: DemoContext, browser: Any, records: list[str], people: People) -> dict[str, Any]:
    """Each person, each sampled record: does the link open exactly when Salesforce says so?"""
    stack, front = ctx.stack, ctx.front
    rows: dict[str, Any] = {}
    for person in PEOPLE:
        context = browser.new_context()
        page = context.new_page()
        page.goto(front.docs_url + "/")
        _sign_in(page, person)
        opened, refused, disagreements = 0, 0, []
        before = stack.org.api_usage
        for record_id in records:
            link = stack.org.get("DocListEntry__c", record_id)["Document__c"]
            answer = context.request.get(link, max_redirects=0)
            allowed = answer.status == 302 and answer.headers["location"].startswith(front.s3_url)
            salesforce_says = stack.org.sharing.access(people.id(person), record_id) != "None"
            opened += allowed
            refused += not allowed
            if allowed != salesforce_says:
                disagreements.append(record_id)
        cold = stack.org.api_usage - before
        before = stack.org.api_usage
        again = records[:WARM_SAMPLE]  # again within the minute: the session's cache answers
        for record_id in again:
            context.request.get(
                stack.org.get("DocListEntry__c", record_id)["Document__c"], max_redirects=0
            )
        warm = stack.org.api_usage - before
        rows[person.key] = {
            "name": person.name,
            "opened": opened,
            "refused": refused,
            "disagreementsWithSalesforce": disagreements,
            "apiCallsPerOpenFirstTime": round(cold / len(records), 3),
            "apiCallsPerOpenAgainWithinAMinute": round(warm / len(again), 3),
        }
        context.close()
    return rows


def run_access(ctx: DemoContext) -> StepResult:
    """Open the cutover's links in chromium as four people; screenshots and a summary in out/access/."""
    from local.demo import StepResult, write_json
    from local.demo_velocity import chromium, chromium_path

    started = time.monotonic()
    stack, front, out = ctx.stack, ctx.front, ctx.out / "access"
    out.mkdir(parents=True, exist_ok=True)
    records = [
        r
        for r in ctx.document_ids.values()
        if str(stack.org.get("DocListEntry__c", r)["Document__c"] or "").startswith(front.docs_url)
    ]
    lines = [f"{len(records)} DocListEntry__c records hold a stable link on {front.docs_url}"]
    if chromium_path() is None:
        lines.append("browser journey skipped: chromium is not installed (make browser)")
        return StepResult("Document access", "SUCCEEDED", time.monotonic() - started, lines)
    shared = ctx.shared_account
    in_shared = [r for r in records if stack.org.get("DocListEntry__c", r)["Account__c"] == shared]
    others = [r for r in records if r not in in_shared]
    sample = (in_shared + others[:: max(1, len(others) // 20)])[:45]
    shots: list[str] = []
    ok = True
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True, viewport=SCREENSHOT_VIEWPORT)
        page = context.new_page()
        page.goto(stack.org.get("DocListEntry__c", others[0])["Document__c"])
        _shot(page, out, "01-salesforce-login", shots)
        page.fill("#username", AVERY.username)
        page.fill("#password", PASSWORD)
        file = _download(page, lambda: page.click("#Login"))
        body = Path(file.path()).read_bytes()
        tracked = MigrationStore(stack.physical_name("TrackingTable"), "us-east-1").file(others[0])
        stored = (
            stack.client("s3")
            .get_object(
                Bucket=stack.physical_name("BackupBucket"),
                Key=tracked.your_s3_key if tracked else "",
            )["Body"]
            .read()
        )
        identical = hashlib.sha256(body).digest() == hashlib.sha256(stored).digest()
        ok = (
            ok and identical and file.suggested_filename == (tracked.file_name if tracked else None)
        )
        lines.append(
            f"Avery clicked a link signed out, signed in at Salesforce and got "
            f"{file.suggested_filename!r} ({len(body)} bytes, identical to our copy: {identical})"
        )
        page.goto(front.docs_url + "/")
        _shot(page, out, "02-home", shots)
        context.close()

        context = browser.new_context(viewport=SCREENSHOT_VIEWPORT)
        page = context.new_page()
        page.goto(stack.org.get("DocListEntry__c", others[0])["Document__c"])
        _sign_in(page, BLAKE)
        _shot(page, out, "03-no-access", shots)
        page.goto(front.docs_url + "/d/a005g00000zzzzzAAA")
        _shot(page, out, "04-not-found", shots)
        stack.org.fail_nth_call(1, 503, "SERVER_UNAVAILABLE")
        page.goto(stack.org.get("DocListEntry__c", others[1])["Document__c"])
        _shot(page, out, "05-salesforce-unavailable", shots)
        with page.expect_navigation():
            page.click("#sign-out")
        _shot(page, out, "06-signed-out", shots)
        context.close()

        context = browser.new_context(viewport=SCREENSHOT_VIEWPORT)
        page = context.new_page()
        page.goto(front.docs_url + "/dashboards/velocity/index.html")
        _sign_in(page, CASEY)
        _shot(page, out, "07-dashboard-velocity", shots)
        page.goto(front.docs_url + "/dashboards/migration/status.html")
        _shot(page, out, "08-dashboard-migration-status", shots)
        context.close()

        context = browser.new_context(viewport=SCREENSHOT_VIEWPORT)
        page = context.new_page()
        page.goto(front.docs_url + "/")
        _sign_in(page, DREW)
        stack.org.update("User", ctx.people.id(DREW), {"IsActive": False})
        page.goto(stack.org.get("DocListEntry__c", in_shared[0])["Document__c"])
        _shot(page, out, "09-deactivated", shots)
        deactivated_refused = "not active" in page.content()
        stack.org.update("User", ctx.people.id(DREW), {"IsActive": True})
        context.close()
        matrix = _matrix(ctx, browser, sample, ctx.people)
    for row in matrix.values():
        ok = ok and not row["disagreementsWithSalesforce"]
        lines.append(
            f"{row['name']}: {row['opened']} opened, {row['refused']} refused of {len(sample)}; "
            f"Salesforce API calls per open {row['apiCallsPerOpenFirstTime']} "
            f"(again within a minute: {row['apiCallsPerOpenAgainWithinAMinute']})"
            + (
                ""
                if not row["disagreementsWithSalesforce"]
                else f"; DISAGREES on {row['disagreementsWithSalesforce']}"
            )
        )
    ok = ok and deactivated_refused
    lines.append(
        f"Drew, deactivated in Salesforce, refused on the next click: {deactivated_refused}"
    )
    today = datetime.now(UTC).date()  # audit times are UTC; a day either side of now
    audit, error = stack.invoke(
        "MigrationStatusFunction",
        {
            "view": "access",
            "accountId": shared,
            "since": (today - timedelta(days=1)).isoformat(),
            "until": (today + timedelta(days=2)).isoformat(),
        },
    )
    write_json(out / "audit-shared-account.json", audit)
    if error is None:
        people_seen = ", ".join(
            f"{p['username']} ({p['opens']} opens, {p['refusals']} refusals)"
            for p in audit["access"]["people"]
        )
        lines.append(f"audit of the shared account today: {people_seen}")
    summary = {
        "docsHost": front.docs_url,
        "recordsWithStableLinks": len(records),
        "sampled": len(sample),
        "sharedAccount": shared,
        "people": matrix,
        "deactivatedUserRefused": deactivated_refused,
        "screenshots": shots,
    }
    write_json(out / "summary.json", summary)
    lines.append("-> out/access/summary.json, audit-shared-account.json, " + ", ".join(shots))
    return StepResult(
        "Document access", "SUCCEEDED" if ok else "FAILED", time.monotonic() - started, lines
    )
