"""The model-based test's state machine: random commands of the network, the bots, staff and
the operator, with restarts between them, each checked against the reference model."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orderledger.cli.main import main
from orderledger.domain.account import Billing
from orderledger.domain.errors import LedgerError
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import empty_postgres, open_account, use_settings
from tests.model import reference
from tests.model.checks import (
    UNKNOWN,
    check_account,
    check_aggregates,
    check_order_status,
    check_services,
    check_work_order,
    snapshotted,
)
from tests.model.reference import (
    CANCEL_RECEIVED,
    INCORRECT_REQUEST,
    REFILL_RECEIVED,
    STAFF,
    Refusal,
    Service,
)
from tests.model.strategies import add_fields
from tests.model.system import LEASE, Clock, Running, import_catalogue

BOTS = ("bot-1", "bot-2")
ACTORS = st.sampled_from([*BOTS, STAFF])
# Which orders each report is mostly tried on (any order now and then).
FITS: dict[str, Callable[[Any], bool]] = {
    "refund": lambda o: o.status in reference.REFILLABLE,
    "cancel": lambda o: not o.finished and not o.delivered,
    "partial": lambda o: o.status == "In progress",
    **{report: lambda o: not o.finished for report in ("start", "deliver", "complete", "fail")},
}
REFILL_TARGETS = {
    "start": "In progress",
    "complete": "Completed",
    "reject": "Rejected",
    "fail": "Failed",
}


def catalogue() -> dict[int, Service]:
    """One service of every type; rates with more places than a charge keeps."""
    D = Decimal
    services = [
        Service(1, "Default", D("0.7345"), 10, 10000, dripfeed=True, refill=True, cancel=True),
        Service(2, "Package", D("1.5"), 1, 1, refill=True, cancel=True),
        Service(3, "Custom Comments", D("3.33333"), 1, 3, refill=True, cancel=True),
        Service(4, "Custom Comments Package", D("2.25"), 1, 1),
        Service(5, "Mentions", D("0.9"), 10, 1000, refill=True),
        Service(6, "Mentions with Hashtags", D("1.11111"), 10, 1000, refill=True),
        Service(7, "Mentions Custom List", D("12.5"), 1, 3, refill=True, cancel=True),
        Service(8, "Mentions Hashtag", D("0.3"), 10, 5000, refill=True),
        Service(9, "Mentions User Followers", D("0.45"), 10, 5000, refill=True),
        Service(10, "Mentions Media Likers", D("0.5"), 10, 5000, refill=True),
        Service(11, "Comment Likes", D("1.1"), 10, 5000, refill=True, cancel=True),
        Service(12, "Comment Replies", D("7"), 1, 3, refill=True),
        Service(13, "Poll", D("0.2"), 10, 5000, refill=True),
        Service(14, "Invites from Groups", D("2"), 10, 5000, refill=True),
        Service(15, "SEO", D("0.66667"), 10, 5000, refill=True),
        Service(16, "Subscriptions", D("4.00"), 100, 500, cancel=True),
        Service(17, "Web Traffic", D("0.05"), 100, 100000, dripfeed=True, refill=True),
    ]
    return {service.number: service for service in services}


@dataclass
class Tally:
    """How much the model test ran, for the closing report."""

    sequences: int = 0
    steps: int = 0
    restarts: int = 0
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    snapshots: Counter[str] = dataclasses.field(default_factory=Counter)  # aggregates, by type


@dataclass
class World:
    """What the pytest test hands the machine: the backend's settings and a place for files."""

    settings: Settings
    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    tally: Tally
    runs: itertools.count[int] = dataclasses.field(default_factory=itertools.count)

    def fresh_settings(self) -> Settings:
        """An empty store for each sequence."""
        data_dir = self.tmp / f"sequence-{next(self.runs)}"
        if self.settings.postgres is not None:
            empty_postgres(self.settings.postgres)
        settings = dataclasses.replace(self.settings, data_dir=data_dir)
        use_settings(self.monkeypatch, settings)  # for the command line's import
        return settings


def expect_add_answer(answer: Any, refusal: Refusal) -> None:
    if refusal.text == INCORRECT_REQUEST:  # a short reason may follow after a colon
        assert set(answer) == {"error"}, answer
        assert answer["error"].split(":")[0] == INCORRECT_REQUEST, answer
    else:
        assert answer == {"error": refusal.text}


class LedgerMachine(RuleBasedStateMachine):
    world: World  # set by the test before hypothesis makes machines

    def __init__(self) -> None:
        super().__init__()
        self.settings = self.world.fresh_settings()
        self.clock = Clock()
        self.model = reference.Ledger(catalogue(), {})
        self.import_file = self.settings.data_dir.parent / f"{self.settings.data_dir.name}.json"
        self.import_services()
        self.running = Running(self.settings, self.clock)
        store = self.running.store
        _, pre_key = open_account(store, "pre", deposit="20")
        _, post_key = open_account(store, "post", billing=Billing.POSTPAID, credit="10")
        self.model.accounts["pre"] = reference.Account("pre", False, deposits=Decimal(20))
        self.model.accounts["post"] = reference.Account("post", True, credit=Decimal(10))
        self.keys = {"pre": pre_key, "post": post_key}
        self.tokens = {bot: store.credentials.issue(Role.OPERATOR, bot, bot) for bot in BOTS}
        self.last_order: int | None = None
        self.since_restart = self.since_import = 0
        self.checked = False
        self.world.tally.sequences += 1

    def count(self, outcome: str) -> None:
        self.world.tally.outcomes[outcome] += 1

    def teardown(self) -> None:
        self.world.tally.snapshots += snapshotted(self.running.store.ledger, self.model)
        self.running.close()
        # Every read model, rebuilt from the whole log, matches the live one; accounts add up.
        assert main(["projections", "verify"]) == 0

    def import_services(self) -> None:
        listed = [s.entry() for s in self.model.services.values() if s.enabled]
        import_catalogue(self.import_file, listed)

    # ---- the operator --------------------------------------------------------------------

    @rule(
        account=st.sampled_from(["pre", "post"]),
        amount=st.sampled_from(["0.00001", "0.5", "3.14159", "10"]),
    )
    def deposit(self, account: str, amount: str) -> None:
        self.running.store.ledger.deposit(account, Decimal(amount))
        self.model.deposit(account, Decimal(amount))

    @precondition(lambda self: self.since_import >= 6)
    @rule(
        number=st.sampled_from(sorted(catalogue())),
        change=st.sampled_from(
            ["rate", "limits", "cancel", "refill", "refill_days", "dripfeed", "disable", "enable"]
        ),
    )
    def change_catalogue(self, number: int, change: str) -> None:
        service = self.model.services[number]
        if not service.enabled and change != "disable":
            service.enabled = True  # a file changes a disabled service only by listing it again
        match change:
            case "rate":
                service.rate = money_step(service.rate)
            case "limits":
                service.max = (
                    service.min * 2 if service.max > service.min * 2 else service.min * 500
                )
            case "refill_days":
                service.refill_days = 0 if service.refill_days else 30
            case "disable" | "enable":
                service.enabled = change == "enable"
            case flag:
                setattr(service, flag, not getattr(service, flag))
        self.import_services()
        self.since_import = 0
        self.count(f"catalogue {change}")
        check_services(self.running, self.keys["pre"], self.model)

    # A restart or an import costs the time of a dozen other steps: not more often than this.
    @precondition(lambda self: self.since_restart >= 6)
    @rule()
    def restart(self) -> None:
        """A new process: nothing in memory, every aggregate loaded from the store."""
        self.running.close()
        self.running = Running(self.settings, self.clock)
        self.since_restart = 0
        self.world.tally.restarts += 1
        check_services(self.running, self.keys["pre"], self.model)

    @precondition(lambda self: any(o.runs for o in self.model.orders.values() if not o.finished))
    @rule(minutes=st.sampled_from([1, 5, 30]))
    def time_passes(self, minutes: int) -> None:
        self.clock.moment += timedelta(minutes=minutes)

    # ---- the network ---------------------------------------------------------------------

    # Two rules, one per account, so that orders keep coming as others finish.
    @rule(data=st.data(), number=st.sampled_from([*sorted(catalogue()), 99]))
    def add_prepaid(self, data: st.DataObject, number: int) -> None:
        self.add(data, "pre", number)

    @rule(data=st.data(), number=st.sampled_from([*sorted(catalogue()), 99]))
    def add_postpaid(self, data: st.DataObject, number: int) -> None:
        self.add(data, "post", number)

    def add(self, data: st.DataObject, account: str, number: int) -> None:
        fields = data.draw(add_fields(self.model.services.get(number)))
        try:
            placed = self.model.check_add(account, number, fields)
        except Refusal as refusal:
            _, answer = self.running.api(self.keys[account], "add", service=str(number), **fields)
            expect_add_answer(answer, refusal)
            self.count(f"add refused: {refusal.text}")
            return
        self.count(f"add {self.model.services[number].type}")
        _, answer = self.running.api(self.keys[account], "add", service=str(number), **fields)
        assert set(answer) == {"order"} and type(answer["order"]) is int, (fields, answer)
        assert answer["order"] > max(self.model.orders, default=0)
        self.model.record_order(answer["order"], placed)
        self.last_order = answer["order"]

    def account_of_some_order(self, data: st.DataObject) -> str:
        """Mostly an account with orders; now and then one without."""
        accounts = sorted({o.account for o in self.model.orders.values()})
        return data.draw(st.sampled_from(accounts if mostly(data) else sorted(self.model.accounts)))

    def numbers(
        self, data: st.DataObject, account: str, multi: bool, wanted: Callable[[Any], bool]
    ) -> list[int]:
        """The account's orders, mostly those `wanted`; a multi request also another key's
        and an unknown one, perhaps."""
        mine = sorted(n for n, o in self.model.orders.items() if o.account == account)
        fit = [n for n in mine if wanted(self.model.orders[n])]
        others = [n for n, o in self.model.orders.items() if o.account != account]
        pool = (fit if fit and mostly(data) else mine) or [*others[:1], UNKNOWN]
        first = data.draw(st.sampled_from(pool))
        if not multi:
            return [first]
        more = data.draw(st.lists(st.sampled_from([*mine, *others[:1], UNKNOWN]), max_size=3))
        return list(dict.fromkeys([first, *more]))

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data())
    def request_cancel(self, data: st.DataObject) -> None:
        self.request_cancels(data, multi=False)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data())
    def request_cancels(self, data: st.DataObject, multi: bool = True) -> None:
        account = self.account_of_some_order(data)
        numbers = self.numbers(data, account, multi, lambda o: not o.finished)
        results: list[tuple[int, str | None]] = []
        for number in numbers:
            try:
                self.model.request_cancel(account, number)
                results.append((number, None))
                self.count("cancel request accepted")
            except Refusal as refusal:
                results.append((number, refusal.text))
                self.count(f"cancel request refused: {refusal.text}")
        if multi:
            _, answer = self.running.api(
                self.keys[account], "cancel", orders=",".join(map(str, numbers))
            )
            assert answer == [
                {"order": n, "cancel": {"error": e} if e else CANCEL_RECEIVED} for n, e in results
            ]
        else:
            _, answer = self.running.api(self.keys[account], "cancel", order=str(numbers[0]))
            ((number, failure),) = results
            assert answer == (
                {"error": failure} if failure else {"order": number, "cancel": CANCEL_RECEIVED}
            )

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data())
    def request_refill(self, data: st.DataObject) -> None:
        self.request_refills(data, multi=False)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data())
    def request_refills(self, data: st.DataObject, multi: bool = True) -> None:
        account = self.account_of_some_order(data)

        def looks_refillable(order: reference.Order) -> bool:
            service = self.model.services[order.service]
            return order.status in reference.REFILLABLE and service.refill and not order.open_refill

        numbers = self.numbers(data, account, multi, looks_refillable)
        eligible: dict[int, Any] = {}
        refused: dict[int, str] = {}
        for number in numbers:
            try:
                eligible[number] = self.model.check_refill(account, number)
                self.count("refill request accepted")
            except Refusal as refusal:
                refused[number] = refusal.text
                self.count(f"refill request refused: {refusal.text}")
        if multi:
            _, answer = self.running.api(
                self.keys[account], "refill", orders=",".join(map(str, numbers))
            )
            assert [item["order"] for item in answer] == numbers, answer
            for item in answer:
                if item["order"] in refused:
                    text = refused[item["order"]]
                    assert item == {
                        "order": item["order"],
                        "refill": {"error": text},
                        "message": text,
                    }
                else:
                    assert type(item["refill"]) is int and item["message"] == REFILL_RECEIVED
                    self.model.record_refill(item["refill"], eligible[item["order"]])
        else:
            (number,) = numbers
            _, answer = self.running.api(self.keys[account], "refill", order=str(number))
            if number in refused:
                assert answer == {"error": refused[number]}
            else:
                assert answer["order"] == str(number) and answer["message"] == REFILL_RECEIVED
                self.model.record_refill(int(answer["refill"]), eligible[number])

    # ---- fulfilment ----------------------------------------------------------------------

    def pick_order(self, data: st.DataObject, wanted: Callable[[Any], bool]) -> int:
        """An order, mostly one the command fits."""
        fit = sorted(n for n, o in self.model.orders.items() if wanted(o))
        pool = fit if fit and mostly(data) else sorted(self.model.orders)
        return data.draw(st.sampled_from(pool))

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), operator=st.sampled_from([*BOTS, STAFF]))
    def claim(self, data: st.DataObject, operator: str) -> None:
        number = self.pick_order(data, lambda o: not o.finished and o.claimed_by is None)
        try:
            self.model.claim(number, operator, self.clock())
            refusal = None
        except Refusal as error:
            refusal = error
        self.count(f"claim {'refused' if refusal else 'done'}")
        try:
            self.running.store.ledger.claim_order(number, operator, LEASE, self.clock())
            assert refusal is None, f"claim of {number} by {operator} accepted: {refusal}"
        except LedgerError as error:
            assert refusal is not None, f"claim of {number} by {operator} refused: {error}"

    # One rule per report, so that fulfilment gets its share of the steps.
    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), actor=ACTORS)
    def start(self, data: st.DataObject, actor: str) -> None:
        self.report(data, "start", actor)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), actor=ACTORS)
    def deliver(self, data: st.DataObject, actor: str) -> None:
        self.report(data, "deliver", actor)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), actor=ACTORS)
    def complete(self, data: st.DataObject, actor: str) -> None:
        self.report(data, "complete", actor)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), actor=ACTORS)
    def partial(self, data: st.DataObject, actor: str) -> None:
        self.report(data, "partial", actor)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), actor=ACTORS)
    def cancel(self, data: st.DataObject, actor: str) -> None:
        self.report(data, "cancel", actor)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), actor=ACTORS)
    def fail(self, data: st.DataObject, actor: str) -> None:
        self.report(data, "fail", actor)

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), actor=ACTORS)
    def refund(self, data: st.DataObject, actor: str) -> None:
        self.report(data, "refund", actor)

    def report(self, data: st.DataObject, report: str, actor: str) -> None:
        number = self.pick_order(data, FITS[report])
        order = self.model.orders[number]
        body: dict[str, Any] | None = None
        args: list[Any] = []
        if report == "start":
            body = {"start_count": data.draw(st.sampled_from([0, 17, 250]))}
        elif report == "deliver":
            body = {
                "delivered": data.draw(
                    st.sampled_from(
                        sorted(
                            {
                                0,
                                order.delivered,
                                order.delivered + 1,
                                order.deliverable,
                                order.charged_quantity,
                                order.charged_quantity + 1,
                            }
                        )
                    )
                )
            }
        elif report == "partial":
            body = {
                "remains": data.draw(
                    st.sampled_from(
                        sorted(
                            {
                                1,
                                max(order.remains // 2, 1),
                                max(order.remains, 1),
                                order.remains + 1,
                            }
                        )
                    )
                )
            }
        elif report == "fail":
            body = {"reason": "link is private"}
        args = list(body.values()) if body else []
        try:
            outcome = getattr(self.model, report)(number, actor, *args)
            self.count(f"{report} {outcome}")
        except Refusal as refusal:
            outcome = "refused"
            self.count(f"{report} refused: {refusal.text}")
        if actor == STAFF:
            self.staff_report(report, number, args, outcome)
            return
        code, answer = self.running.bot_report(
            self.tokens[actor], f"orders/{number}/{report}", body
        )
        assert code == (409 if outcome == "refused" else 200), (report, actor, outcome, answer)
        if code == 200:
            check_work_order(answer, self.model)
        self.last_order = number

    def staff_report(self, report: str, number: int, args: list[Any], outcome: str) -> None:
        ledger = self.running.store.ledger
        commands: dict[str, Callable[..., Any]] = {
            "start": ledger.start_order,
            "deliver": ledger.report_delivery,
            "complete": ledger.complete_order,
            "partial": ledger.stop_partial,
            "cancel": ledger.cancel_order,
            "fail": ledger.fail_order,
            "refund": ledger.refund_order,
        }
        try:
            commands[report](number, *args)
            assert outcome != "refused", f"staff {report} of {number} accepted"
        except LedgerError as error:
            assert outcome == "refused", f"staff {report} of {number} refused: {error}"
        self.last_order = number

    @precondition(lambda self: any(o.type == "Subscriptions" for o in self.model.orders.values()))
    @rule(data=st.data(), post=st.sampled_from(["p1", "p2", "p3", "p4"]), actor=ACTORS)
    def post(self, data: st.DataObject, post: str, actor: str) -> None:
        subscriptions = sorted(n for n, o in self.model.orders.items() if o.type == "Subscriptions")
        open_ones = [n for n in subscriptions if not self.model.orders[n].finished]
        pool = open_ones if open_ones and mostly(data) else subscriptions
        number = data.draw(st.sampled_from(pool))
        order = self.model.orders[number]
        low, high = order.details["min"], order.details["max"]
        quantity = order.posts.get(post) or data.draw(
            st.sampled_from([low - 1, low, high, high + 1])
        )
        try:
            self.model.post(number, actor, post, quantity)
            refused = False
        except Refusal:
            refused = True
        self.count(f"post {'refused' if refused else 'done'}")
        if actor == STAFF:
            try:
                self.running.store.ledger.report_post(number, post, quantity, self.clock())
                assert not refused, f"post {post} of {number} accepted"
            except LedgerError as error:
                assert refused, f"post {post} of {number} refused: {error}"
            return
        code, answer = self.running.bot_report(
            self.tokens[actor], f"orders/{number}/posts", {"post": post, "quantity": quantity}
        )
        assert code == (409 if refused else 200), answer
        if code == 200:
            check_work_order(answer, self.model)
        self.last_order = number

    @precondition(lambda self: self.model.refills)
    @rule(data=st.data(), operator=st.sampled_from(BOTS))
    def claim_refill(self, data: st.DataObject, operator: str) -> None:
        number = data.draw(st.sampled_from(sorted(self.model.refills)))
        try:
            self.model.claim_refill(number, operator)
            refusal = None
        except Refusal as error:
            refusal = error
        self.count(f"refill claim {'refused' if refusal else 'done'}")
        try:
            self.running.store.ledger.claim_refill(number, operator, LEASE, self.clock())
            assert refusal is None, f"claim of refill {number} by {operator} accepted: {refusal}"
        except LedgerError as error:
            assert refusal is not None, f"claim of refill {number} by {operator} refused: {error}"

    @precondition(lambda self: self.model.refills)
    @rule(data=st.data(), move=st.sampled_from(sorted(REFILL_TARGETS)), actor=ACTORS)
    def refill_outcome(self, data: st.DataObject, move: str, actor: str) -> None:
        number = data.draw(st.sampled_from(sorted(self.model.refills)))
        try:
            self.model.move_refill(number, actor, REFILL_TARGETS[move])
            refused = False
        except Refusal:
            refused = True
        self.count(f"refill {move} {'refused' if refused else 'done'}")
        if actor == STAFF:
            ledger = self.running.store.ledger
            commands: dict[str, Callable[[int], Any]] = {
                "start": ledger.start_refill,
                "complete": ledger.complete_refill,
                "reject": ledger.reject_refill,
                "fail": ledger.fail_refill,
            }
            try:
                commands[move](number)
                assert not refused, f"refill {number} {move} accepted"
            except LedgerError as error:
                assert refused, f"refill {number} {move} refused: {error}"
            return
        body = {"reason": "dropped again"} if move in ("reject", "fail") else None
        code, answer = self.running.bot_report(self.tokens[actor], f"refills/{number}/{move}", body)
        assert code == (409 if refused else 200), answer
        if code == 200:
            assert answer["status"] == self.model.refills[number].status

    # ---- after every step ----------------------------------------------------------------

    @invariant()
    def answers_match_the_model(self) -> None:
        if self.checked:  # the first check is of the empty ledger, before any step
            self.world.tally.steps += 1
        self.checked = True
        self.since_restart += 1
        self.since_import += 1
        for name in self.model.accounts:
            check_account(self.running, self.keys[name], name, self.model)
        if self.last_order is not None:
            order = self.model.orders[self.last_order]
            currency = self.model.accounts[order.account].currency
            check_order_status(self.running, self.keys[order.account], order, currency)
        check_aggregates(self.running.store.ledger, self.model)


def mostly(data: st.DataObject) -> bool:
    """True three times in four."""
    return data.draw(st.integers(0, 3)) > 0


def money_step(rate: Decimal) -> Decimal:
    """Another rate, so charges after a catalogue change differ from those before."""
    return rate * 2 if rate < 5 else rate / 4
