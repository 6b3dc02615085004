"""Statistics as pictures: impressions, views, reading time and downloads over days, weeks or
months, per collection and per account, and per-page views and time; each chart beside a table
of the same numbers. The range's totals are what getStats answers for the same dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from flipshelf.domain.errors import FlipshelfError
from flipshelf.domain.series import Period, default_span, parse_period
from flipshelf.domain.stats import DateRange, parse_range
from flipshelf.services import stats
from flipshelf.web.dashboard.collection_views import owned
from flipshelf.web.dashboard.context import Dashboard, Visit
from flipshelf.web.dashboard.guard import Guard
from flipshelf.web.dashboard.render import Problem

ChartRead = Callable[[Period, DateRange], stats.Chart]
PERIODS = {"day": "Days", "week": "Weeks", "month": "Months"}


def chart_data(chart: stats.Chart) -> dict[str, Any]:
    """The numbers the chart script draws (the tables show the same ones)."""
    points = chart.points
    return {
        "period": chart.period.value,
        "starts": [p.day.isoformat() for p in points],
        "impressions": [p.impressions for p in points],
        "views": [p.views for p in points],
        "time": [p.time_spent for p in points],
        "downloads": [p.downloads for p in points],
        "pages": {
            "page": [p.page for p in chart.totals.pages],
            "views": [p.views for p in chart.totals.pages],
            "time": [p.time_spent for p in chart.totals.pages],
        },
    }


def _asked(visit: Visit, today: date) -> tuple[Period, DateRange, Problem | None]:
    """The period and range asked for; a bad one falls back to the default, with the reason."""
    query = visit.request.query_params
    try:
        period = parse_period(query.get("period"))
    except FlipshelfError as error:
        return Period.DAY, default_span(Period.DAY, today), Problem.of(error)
    start, end = query.get("startDate"), query.get("endDate")
    if not start and not end:
        return period, default_span(period, today), None
    try:
        return period, parse_range(start, end), None
    except FlipshelfError as error:
        return period, default_span(period, today), Problem.of(error)


class StatsViews:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def _show(
        self, dash: Dashboard, visit: Visit, problem: Problem | None, **context: Any
    ) -> Response:
        return self.guard.show(visit, "stats.html", problem, periods=PERIODS, **context)

    def _chart(self, visit: Visit, read: ChartRead) -> tuple[stats.Chart, Problem | None]:
        today = self.guard.dash.ports.clock.now().date()
        period, span, problem = _asked(visit, today)
        try:
            return read(period, span), problem
        except FlipshelfError as error:  # a range too long for a chart
            period = Period.DAY
            return read(period, default_span(period, today)), Problem.of(error)

    async def collection(self, dash: Dashboard, visit: Visit, problem: Problem | None) -> Response:
        found = await run_in_threadpool(owned, dash, visit)

        def read(period: Period, span: DateRange) -> stats.Chart:
            return stats.collection_chart(dash.ports, visit.account, found.hash, period, span)

        chart, asked_problem = await run_in_threadpool(self._chart, visit, read)
        return await self._show(
            dash,
            visit,
            problem or asked_problem,
            collection=found,
            chart=chart,
            data=chart_data(chart),
        )

    async def account(self, dash: Dashboard, visit: Visit, problem: Problem | None) -> Response:
        def read(period: Period, span: DateRange) -> stats.Chart:
            return stats.account_chart(dash.ports, visit.account, period, span)

        chart, asked_problem = await run_in_threadpool(self._chart, visit, read)
        figures = await run_in_threadpool(
            stats.account_stats, dash.ports, visit.account, dash.limits.uploads_per_month
        )
        return await self._show(
            dash,
            visit,
            problem or asked_problem,
            collection=None,
            chart=chart,
            data=chart_data(chart),
            all_time=figures,
        )
