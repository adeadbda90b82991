"""The 租金台账 pages: the rent ledger of the contracts one may see (contracts.selectors.contracts_visible: a unit's
clerk and head their unit's, a department the cases it verified, finance and supervisors the county) by month, by
holding unit and by contract, one contract's ledger, and their .xlsx exports. Thin: the figures from
contracts.ledger, every export on the audit trail."""

from __future__ import annotations

import datetime as dt
import io

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.views import View
from openpyxl import Workbook

from assets.imports import XLSX_CONTENT_TYPE
from assets.models import Organization
from audit.services import audit_record
from core.excel import MONEY, Sheet
from core.formatting import cn_date
from core.http import as_download, client_ip

from . import ledger
from .ledger import LedgerError, MonthRange
from .models import Contract
from .selectors import contracts_visible

PAGE_SIZE = 50
FIGURE_COLUMNS = [("应收（元）", MONEY), ("实收（元）", MONEY), ("上缴（元）", MONEY), ("欠缴（元）", MONEY)]


class _Query:
    """The page's filter (?start=YYYY-MM&end=YYYY-MM&unit=<id>), checked: a LedgerError names the wrong input."""

    def __init__(self, request, contracts, *, default: MonthRange | None = None):
        today = timezone.localdate()
        get = request.GET
        self.start, self.end = get.get("start", "").strip(), get.get("end", "").strip()
        if default is not None and not self.start and not self.end:
            self.months = default
        else:
            self.months = MonthRange.parse(self.start, self.end, today=today)
        self.start, self.end = self.months.query["start"], self.months.query["end"]
        self.unit_id: int | None = None
        unit = get.get("unit", "").strip()
        if unit:
            if not unit.isdigit() or not contracts.filter(holding_unit_id=int(unit)).exists():
                raise LedgerError("所选持有单位没有您可查看的合同，请重新选择。", "unit")
            self.unit_id = int(unit)

    def contracts(self, contracts):
        return contracts if self.unit_id is None else contracts.filter(holding_unit_id=self.unit_id)

    def querystring(self) -> str:
        unit = f"&unit={self.unit_id}" if self.unit_id else ""
        return f"start={self.start}&end={self.end}{unit}"


def _units(contracts) -> list[Organization]:
    return list(Organization.objects.filter(pk__in=contracts.order_by().values("holding_unit_id")).order_by("name"))


def _error_page(request, template: str, context: dict, error: LedgerError) -> TemplateResponse:
    get = request.GET
    context |= {"error": error.message, "error_field": error.field, "start": get.get("start", ""),
                "end": get.get("end", ""), "unit_id": get.get("unit", "")}  # fmt: skip
    return TemplateResponse(request, template, context, status=400)


class LedgerView(View):
    """租金台账: by month, by holding unit and (a page at a time) by contract, over a range of months."""

    template = "contracts/ledger.html"

    def get(self, request):
        visible = contracts_visible(user=request.user)
        units = _units(visible)
        context = {"page_title": "租金台账", "units": units, "basis": ledger.LEDGER_BASIS}
        try:
            query = _Query(request, visible)
        except LedgerError as exc:
            return _error_page(request, self.template, context, exc)
        today = timezone.localdate()
        cutoff = ledger.ledger_cutoff(today)
        contracts = query.contracts(visible)
        listed = ledger.contracts_in_range(contracts, query.months).select_related("asset", "holding_unit")
        page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
        context |= {
            "query": query,
            "months": query.months,
            "start": query.start,
            "end": query.end,
            "unit_id": str(query.unit_id or ""),
            "today": today,
            "by_month": ledger.ledger_by_month(contracts, query.months, today=today, cutoff=cutoff),
            "by_unit": ledger.ledger_by_unit(contracts, query.months, today=today, cutoff=cutoff)
            if len(units) > 1
            else None,
            "page": page,
            "by_contract": ledger.ledger_of_contracts(list(page.object_list), query.months, today=today, cutoff=cutoff),
        }
        return TemplateResponse(request, self.template, context)


def _contract_or_404(user, pk: int) -> Contract:
    contract = contracts_visible(user=user).filter(pk=pk).first()
    if contract is None:
        raise Http404("没有找到该合同。")
    return contract


def _term_months(contract: Contract, today: dt.date) -> MonthRange:
    """A contract's ledger shows its term by default (an open-ended one up to this month), at most MAX_MONTHS."""
    last = contract.ends_on or max(today, contract.starts_on)
    first = contract.starts_on.replace(day=1)
    cap = dt.date(first.year + (first.month - 1 + ledger.MAX_MONTHS - 1) // 12,
                  (first.month - 1 + ledger.MAX_MONTHS - 1) % 12 + 1, 1)  # fmt: skip
    return MonthRange.of(first, min(last.replace(day=1), cap))


class ContractLedgerView(View):
    """One contract's rent ledger by month; another organization's contract is a 404."""

    template = "contracts/contract_ledger.html"

    def get(self, request, pk: int):
        contract = _contract_or_404(request.user, pk)
        today = timezone.localdate()
        context = {"page_title": f"租金台账：合同 {contract}", "contract": contract, "basis": ledger.LEDGER_BASIS}
        try:
            query = _Query(request, Contract.objects.filter(pk=contract.pk), default=_term_months(contract, today))
        except LedgerError as exc:
            return _error_page(request, self.template, context, exc)
        single = Contract.objects.filter(pk=contract.pk)
        context |= {"query": query, "months": query.months, "start": query.start, "end": query.end, "today": today,
                    "by_month": ledger.ledger_by_month(single, query.months, today=today)}  # fmt: skip
        return TemplateResponse(request, self.template, context)


def _figures(row: dict) -> list:
    return [row["due"], row["received"], row["remitted"], row["arrears"]]


def ledger_workbook(*, title: str, stamp: str, by_month: dict, by_unit: list[dict] | None, by_contract) -> bytes:
    """The ledger as an .xlsx (the supervision reports' sheets, core.excel): 按月, 按单位, 按合同."""
    wb = Workbook(write_only=True)
    sheet = Sheet(wb, "按月", title, [14, 18, 18, 18, 18])
    sheet.line(stamp)
    sheet.line(ledger.LEDGER_BASIS)
    sheet.table(
        [("月份", None), *FIGURE_COLUMNS],
        [[r["label"], *_figures(r)] for r in by_month["rows"]] + [["合计", *_figures(by_month["total"])]],
    )
    if by_unit is not None:
        sheet = Sheet(wb, "按单位", title, [36, 18, 18, 18, 18])
        sheet.line(stamp)
        sheet.table([("持有单位", None), *FIGURE_COLUMNS], [[r["name"], *_figures(r)] for r in by_unit])
    if by_contract is not None:
        sheet = Sheet(wb, "按合同", title, [22, 16, 28, 30, 28, 14, 14, 18, 18, 18, 18])
        sheet.table(
            [("合同编号", None), ("资产编号", None), ("资产名称", None), ("持有单位", None), ("合同相对方", None),
             ("期限起", None), ("期限止", None), *FIGURE_COLUMNS],
            [[str(r["contract"]), r["contract"].asset.code, r["contract"].asset.name, r["contract"].holding_unit.name,
              r["contract"].counterparty, r["contract"].starts_on, r["contract"].ends_on or "不定期", *_figures(r)]
             for r in by_contract],
        )  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _stamp(label: str, months: MonthRange, today: dt.date) -> str:
    return f"统计范围：{label}　统计期间：{months.label}　数据截至：{cn_date(today)}"


def _bad_request(error: LedgerError) -> HttpResponse:
    return HttpResponse(f"参数有误，未导出：{error.message}", status=400, content_type="text/plain; charset=utf-8")


def _download(request, content: bytes, name: str, fallback: str, data: dict) -> HttpResponse:
    audit_record(user=request.user, action="export", data={"what": "rent_ledger", "format": "xlsx", **data},
                 ip=client_ip(request))  # fmt: skip
    return as_download(HttpResponse(content, content_type=XLSX_CONTENT_TYPE), name, fallback)


def ledger_xlsx(request):
    """GET ?start=&end=&unit=: the page's ledger as an .xlsx, every contract of the range on its sheet."""
    visible = contracts_visible(user=request.user)
    try:
        query = _Query(request, visible)
    except LedgerError as exc:
        return _bad_request(exc)
    today = timezone.localdate()
    cutoff = ledger.ledger_cutoff(today)
    contracts = query.contracts(visible)
    units = _units(visible)
    label = next((u.name for u in units if u.pk == query.unit_id), None) or (
        units[0].name if len(units) == 1 else "全部可查看的合同"
    )
    # Its sheet shows the contract, its asset and unit: not the case contracts_visible joins (thousands of rows).
    listed = (
        ledger.contracts_in_range(contracts, query.months).select_related(None).select_related("asset", "holding_unit")
    )
    by_contract = ledger.ledger_of_contracts(listed, query.months, today=today, cutoff=cutoff)
    content = ledger_workbook(
        title=f"租金台账（{query.months.label}）", stamp=_stamp(label, query.months, today),
        by_month=ledger.ledger_by_month(contracts, query.months, today=today, cutoff=cutoff),
        by_unit=ledger.ledger_by_unit(contracts, query.months, today=today, cutoff=cutoff) if len(units) > 1 else None,
        by_contract=by_contract,
    )  # fmt: skip
    name = f"{label}租金台账_{query.start}至{query.end}.xlsx"
    data = {"start": query.start, "end": query.end, "unit": query.unit_id, "rows": len(by_contract)}
    return _download(request, content, name, f"rent_ledger_{query.start}_{query.end}.xlsx", data)


def contract_ledger_xlsx(request, pk: int):
    """GET ?start=&end=: one contract's ledger as an .xlsx; another organization's contract is a 404."""
    contract = _contract_or_404(request.user, pk)
    today = timezone.localdate()
    single = Contract.objects.filter(pk=contract.pk)
    try:
        query = _Query(request, single, default=_term_months(contract, today))
    except LedgerError as exc:
        return _bad_request(exc)
    content = ledger_workbook(
        title=f"合同 {contract} 租金台账（{query.months.label}）",
        stamp=_stamp(f"{contract.holding_unit.name} · {contract.asset.code} {contract.asset.name}", query.months,
                     today),
        by_month=ledger.ledger_by_month(single, query.months, today=today), by_unit=None, by_contract=None,
    )  # fmt: skip
    data = {"contract": contract.pk, "start": query.start, "end": query.end}
    return _download(request, content, f"合同{contract}租金台账.xlsx", f"rent_ledger_contract_{contract.pk}.xlsx", data)


urlpatterns = [
    path("ledger/", LedgerView.as_view(), name="ledger"),
    path("ledger/xlsx/", ledger_xlsx, name="ledger_xlsx"),
    path("<int:pk>/ledger/", ContractLedgerView.as_view(), name="contract_ledger"),
    path("<int:pk>/ledger/xlsx/", contract_ledger_xlsx, name="contract_ledger_xlsx"),
]
