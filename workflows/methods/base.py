"""The shape of a 盘活方式's declaration, and the registry the rest of the product reads (issue 13 §1).

A method says here, once: its name and the policy sentence it comes from, the categories it applies to, the fields its
execution records (typed), the evidence it needs, its conditions, whether it earns money (收支两条线), who takes part,
what it does to the ledger at 销号, and the document it issues. The flow, the forms, the step services, the documents
and the dashboard read the declaration; none of them branches on a method's name."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import Enum

from django.core.exceptions import ValidationError

from core.policy import cited
from documents.kinds import register_step_kind


class Outcome(Enum):
    """What 销号 does to the asset on its ledger."""

    NEW_USE = "在用（新用途）"  # back in use by its unit, with a new use (功能转型)
    REVITALIZED = "已盘活"  # stays with its unit, earning while a lease, an operation or a sharing runs
    TRANSFERRED = "调出"  # moves to the receiving unit's ledger (调剂, 划转)
    DISPOSED = "已处置"  # off the active ledger, kept on file (拍卖, 报废, 入股, 置换)


class Tally(Enum):
    """How the targets and reports count a closed case: 盘活 (back to use) or 处置 (gone from the unit)."""

    REVITALIZED = "盘活"
    DISPOSED = "处置"


# Field kinds: how a value is typed, entered and printed. Money, percentages and areas (m²) are Decimals of two places,
# dates are dates.
MONEY, DATE, TEXT, LONG_TEXT, PERCENT, AREA = "money", "date", "text", "long_text", "percent", "area"
KINDS = (MONEY, DATE, TEXT, LONG_TEXT, PERCENT, AREA)
DECIMAL_KINDS = (MONEY, PERCENT, AREA)


@dataclass(frozen=True)
class Field:
    """One value an execution records. `label` and `kind` left blank are taken from the ExecutionRecord column of the
    same name (the four first methods keep their columns); a field with no column is kept, typed, in the record's
    `details`."""

    name: str
    label: str = ""
    kind: str = ""
    required: bool = True
    help: str = ""
    choices: tuple[str, ...] = ()  # a text field answered from a list (the form shows a select)
    # A text field answered from a list that depends on the case (功能转型: the sub-types of the asset's category):
    # a function of the case giving the choices; the form shows a select, with "" (unchanged) first.
    options: Callable[..., tuple[str, ...]] | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.kind and self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r} for {self.name}")
        if (self.choices or self.options) and self.kind not in ("", TEXT):
            raise ValueError(f"{self.name}: only a text field has choices")
        if self.options and (self.required or self.choices):
            raise ValueError(f"{self.name}: a field with options is optional (blank: unchanged) and has no choices")


@dataclass(frozen=True)
class Evidence:
    """A file the execution form asks for, stored in the asset's file as `kind` (an AttachmentKind value)."""

    name: str
    label: str
    kind: str
    required: bool = False


@dataclass(frozen=True)
class Receiver:
    """Another unit that takes part: it is named in the plan and, if `confirms`, confirms receipt in a step of its own
    after the holding unit's handover, and signs the execution document."""

    label: str
    from_applicants: bool  # chosen among the units that applied on the 调剂 board; else named directly in the plan
    confirms: bool = True


@dataclass(frozen=True)
class Procedure:
    """How a method chooses its counterparty (lessee, operator, concession holder), when the policy asks for a 公开
    procedure (seed 000 二(八)3: 公开出租、公开转让): `field` records it, a plan term, so approvers see it and execution
    keeps it; choosing one of `other` needs PROCEDURE_REASON in the plan, which the approvers read and the documents
    print (workflows.models.procedure_justified)."""

    field: str
    public: tuple[str, ...]
    other: tuple[str, ...]

    @property
    def choices(self) -> tuple[str, ...]:
        return (*self.public, *self.other)


@dataclass(frozen=True)
class ContractTerms:
    """A method that runs over time (出租出借, 委托运营, 特许经营, 安排临时使用, 开放共享: DESIGN.md "Contracts outlive
    the case"): which of its execution fields give the contract that 销号 creates (the `contracts` app builds it, with
    its payment schedule). `annual` names the amount due each year, `one_off` an amount for the whole term; neither:
    the contract earns nothing. `ends_on` blank: open-ended (开放共享 runs until the instrument leaves the scope)."""

    counterparty: str
    starts_on: str
    ends_on: str = ""
    annual: str = ""
    one_off: str = ""
    deposit: str = ""
    contract_no: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        named = (self.counterparty, self.starts_on, self.ends_on, self.annual, self.one_off, self.deposit)
        return tuple(n for n in (*named, self.contract_no) if n)


# The contract's own terms, fields of each method whose contract has an annual amount (a rent, a fee): the payment
# cycle and the yearly step; and the counterparty's 统一社会信用代码, for every method with a contract.
PAYMENT_CYCLE, RENT_STEP, COUNTERPARTY_CODE = "payment_cycle", "rent_step_percent", "counterparty_credit_code"
# The payment cycles as the execution form offers them (the contract stores their codes: contracts.models.Cycle).
CYCLE_CHOICES = ("按月", "按季", "按半年", "按年", "一次性")


def contract_fields(*, cycle: bool) -> tuple[Field, ...]:
    code = Field(COUNTERPARTY_CODE, "对方统一社会信用代码", TEXT, required=False, help="对方为单位的须填写；自然人留空")
    if not cycle:
        return (code,)
    return (
        code,
        Field(PAYMENT_CYCLE, "付款周期", TEXT, required=False, choices=CYCLE_CHOICES, help="留空为按年支付"),
        Field(RENT_STEP, "年递增比例（%）", PERCENT, required=False, help="如每年递增3%填3；不递增留空"),
    )


def _code_refusal(value) -> str:
    from assets.uscc import validate_uscc

    try:
        validate_uscc(value)
    except ValidationError as exc:
        return exc.messages[0]
    return ""


def _contract_rules(method: "Method") -> tuple:
    """The counterparty's 统一社会信用代码, when given, is checked as the ledger's are (GB 32100-2015)."""

    def refusal(case) -> str:
        record = case.execution_or_none()
        value = (record.value(COUNTERPARTY_CODE) or "").strip().upper() if record is not None else ""
        return _code_refusal(value) if value else ""

    @condition(lambda case: f"对方统一社会信用代码有误：{refusal(case)}", reads=(COUNTERPARTY_CODE,))
    def counterparty_code_valid(case) -> bool:
        return case.method != method.code or not refusal(case)

    counterparty_code_valid.__name__ = counterparty_code_valid.__qualname__ = (
        f"{method.code}_counterparty_credit_code_valid"
    )
    return (counterparty_code_valid,)


# The plan's reason for a procedure that is not 公开; a field of each method with a Procedure.
PROCEDURE_REASON = "procedure_reason"


def procedure_reason_field() -> Field:
    return Field(
        PROCEDURE_REASON, "未采用公开方式的理由", LONG_TEXT, required=False, help="未采用公开方式选定的，须写明理由"
    )


@dataclass(frozen=True)
class Method:
    code: str
    label: str
    seed: str  # the policy text it comes from, by its seed number (docs/policy/); users never see the number
    section: str  # where that text names it, as users read it cited: a section of the 实施方案, or a full citation
    sentence: str  # the policy's own words
    hint: str  # one line on what it requires, beside the choice on the plan form
    outcome: Outcome
    tally: Tally
    document: str  # the kind of its execution document (its template is documents/<document>.html)
    document_title: str
    signer_roles: tuple[str, ...]
    direction: str  # the ledger's 盘活方向 it carries out (an assets Direction), e.g. what an imported ledger planned
    rank: int = 100  # where it stands in the lists (调剂 first: 调剂优先)
    fields: tuple[Field, ...] = ()
    categories: tuple[str, ...] = ()  # the category codes it applies to by default; () for every category
    approved_terms: tuple[str, ...] = ()  # fields the plan carries for approval; changing one needs a new approval
    plan_prefills: tuple[str, ...] = ()  # fields the plan may carry, which the execution form opens with
    evidence: tuple[Evidence, ...] = ()
    due_field: str = ""  # the execution field that is the money due (收支两条线); blank: it earns nothing
    receiver: Receiver | None = None
    conditions: tuple = field(default=(), compare=False)  # execution rules: functions of the case with a .message
    plan_conditions: tuple = field(default=(), compare=False)  # rules the plan already knows the facts of
    # The field whose date a valid appraisal must cover (评估报告有效期, Policy.appraisal_validity_days): "" for none.
    appraisal_valid_at: str = ""
    procedure: Procedure | None = None  # 公开 procedures unless justified (seed 000 二(八)3)
    # What the plan's terms break, by field, checked when the clerk submits it (issue 12 §1.4): functions of
    # (case, terms) giving {field: message}. Execution checks the same rules again (`conditions`).
    plan_checks: tuple = field(default=(), compare=False)
    # 提示 for the approvers (functions of the case giving a list of sentences), and the figures a re-approval decides
    # on (a function of the case giving (label, text) rows).
    plan_notes: tuple = field(default=(), compare=False)
    reapproval_figures: object = field(default=None, compare=False)
    records_uses: bool = False  # after 销号, its unit logs each use (开放共享: user, 机时, fee): SharingUse
    yields_to_board: bool = False  # 调剂优先 (seed 000 二(八)2): with an applicant, the plan says why not 调剂
    # The execution field whose date the county follows the asset up on after 销号 (a new start of works, the end of a
    # temporary use): once it has passed and the asset is still as the case left it, the dashboard raises it.
    follow_up_field: str = ""
    # What 销号 adds beside the ledger outcome, in the same transaction: a function (case=, user=) -> dict, the dict
    # kept on the 销号's trail event (e.g. 置换: the received asset enters the holding unit's ledger).
    on_close: Callable[..., dict] | None = field(default=None, compare=False)
    contract: ContractTerms | None = None  # runs over time: 销号 creates its contract (the `contracts` app)

    @property
    def public_procedure(self) -> bool:
        return self.procedure is not None

    @property
    def earns_money(self) -> bool:
        return bool(self.due_field)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def plan_terms(self) -> tuple[str, ...]:
        """What its plan carries: the approved terms, then what it may say beforehand."""
        return (*self.approved_terms, *self.plan_prefills)

    @property
    def optional_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if not f.required)

    def get_field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def citation(self) -> str:
        return self.section if self.section.startswith("《") else cited(self.section)

    def __str__(self) -> str:
        return self.label


def condition(message, *, reads: tuple[str, ...] | None = None, reapprovable: bool = False):
    """Marks a rule (an FSM condition, or a method's) with the message a user sees when it fails: a string, or a
    function of the case. `reads`: the execution fields the rule needs, so the execution form can check it from its
    own values once they are all given (all problems in one round); None when it needs more (stored evidence).
    `reapprovable`: breaking it sends the plan back for approval instead of refusing the record."""

    def mark(fn):
        fn.message, fn.reads, fn.reapprovable = message, reads, reapprovable
        return fn

    return mark


def policy():
    """The county's thresholds (workflows.models.Policy), for the rules' checks and messages. Looked up through the
    app registry: the declarations sit below the models, which read them when their class is built."""
    from django.apps import apps

    return apps.get_model("workflows", "Policy").current()


def field_label(code: str, name: str) -> str:
    """A method field's label as users read it: declared, or its ExecutionRecord column's (through the app registry,
    as `policy()`)."""
    from django.apps import apps

    spec = REGISTRY.get(code)
    declared = next((f for f in spec.fields if f.name == name), None) if spec else None
    if declared is not None and declared.label:
        return declared.label
    return str(apps.get_model("workflows", "ExecutionRecord")._meta.get_field(name).verbose_name)


def unjustified_procedure_message(method: Method) -> str:
    procedure = method.procedure
    return (
        f"{method.label}须以公开方式（{'、'.join(procedure.public)}）选定；采用{'、'.join(procedure.other)}的，"
        f"须在方案中写明{field_label(method.code, PROCEDURE_REASON)}，供审批单位审核（依据{cited('二(八)3')}）。"
    )


def _procedure_rules(method: Method) -> tuple:
    """The 公开 rule of a method with a Procedure (seed 000 二(八)3): a plan that chooses another way says why, and so
    does an execution (which may only change it through a re-approval: the procedure is an approved term)."""
    procedure = method.procedure

    def justified(value, reason) -> bool:
        return value not in procedure.other or bool((reason or "").strip())

    @condition(lambda case: unjustified_procedure_message(method))
    def plan_procedure_justified(case) -> bool:
        if case.method != method.code:
            return True
        return justified(case.plan_term(procedure.field), case.plan_term(PROCEDURE_REASON))

    @condition(lambda case: unjustified_procedure_message(method), reads=(procedure.field, PROCEDURE_REASON))
    def procedure_justified(case) -> bool:
        record = case.execution_or_none()
        if case.method != method.code or record is None:
            return True
        return justified(record.value(procedure.field), record.value(PROCEDURE_REASON))

    # Named per method, so a list of rules (the trail, the tests' table of each rule's breaking input) tells them apart.
    for rule in (plan_procedure_justified, procedure_justified):
        rule.__name__ = rule.__qualname__ = f"{method.code}_{rule.__name__}"
    return plan_procedure_justified, procedure_justified


REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    if method.code in REGISTRY:
        raise ValueError(f"盘活方式 {method.code} declared twice")
    if len(method.code) > 16:
        raise ValueError(f"盘活方式 code {method.code!r} is longer than the case's column (16)")
    named = (*method.approved_terms, *method.plan_prefills, method.due_field, method.appraisal_valid_at)
    for name in (*named, method.follow_up_field, *(method.contract.names if method.contract else ())):
        if name and name not in method.field_names:
            raise ValueError(f"{method.code}: {name} is not one of its fields")
    if method.procedure is not None:
        # The procedure is approved with the plan, and its reason travels with it.
        if method.procedure.field not in method.approved_terms or PROCEDURE_REASON not in method.plan_prefills:
            raise ValueError(f"{method.code}: its procedure must be an approved term, with {PROCEDURE_REASON}")
        if method.get_field(method.procedure.field).choices != method.procedure.choices:
            raise ValueError(f"{method.code}: its procedure field must offer the procedure's choices")
        on_plan, on_execution = _procedure_rules(method)
        method = replace(
            method,
            plan_conditions=(*method.plan_conditions, on_plan),
            conditions=(*method.conditions, on_execution),
        )
    if method.contract is not None and COUNTERPARTY_CODE in method.field_names:
        method = replace(method, conditions=(*method.conditions, *_contract_rules(method)))
    REGISTRY[method.code] = method
    register_step_kind(method.document, method.document_title, method.signer_roles)
    ordered = sorted(REGISTRY.values(), key=lambda m: m.rank)
    REGISTRY.clear()
    REGISTRY.update((m.code, m) for m in ordered)
    return method


def get(code: str) -> Method | None:
    return REGISTRY.get(code)


def all_methods() -> list[Method]:
    return list(REGISTRY.values())


def choices() -> list[tuple[str, str]]:
    """The methods as a model field's choices (a callable, so a new method needs no migration)."""
    return [(m.code, m.label) for m in REGISTRY.values()]


# -- typed values kept in ExecutionRecord.details ------------------------------------------------------------------


def encode(kind: str, value):
    """A value for JSON: money and percentages as their decimal text, dates as ISO dates, text stripped."""
    if value is None or value == "":
        return None
    if kind in DECIMAL_KINDS:
        return str(Decimal(value).quantize(Decimal("0.01")))
    if kind == DATE:
        return value.isoformat()
    return str(value).strip()


def decode(kind: str, value):
    """The typed value back: Decimal, date or text; a blank one is None (text: "")."""
    if value is None or value == "":
        return "" if kind in (TEXT, LONG_TEXT) else None
    try:
        if kind in DECIMAL_KINDS:
            return Decimal(value)
        if kind == DATE:
            return datetime.date.fromisoformat(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return str(value)
