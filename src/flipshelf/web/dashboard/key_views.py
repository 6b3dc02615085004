"""The account's API key pair: the apiKey shown, the secret rotated (shown once, after a
confirmation), strict mode on or off. The same services as `flipshelf accounts ...`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from flipshelf.domain.errors import BadRequest
from flipshelf.services import accounts
from flipshelf.web.dashboard.context import Dashboard, Visit
from flipshelf.web.dashboard.guard import Guard, see_other
from flipshelf.web.dashboard.render import Problem, root

DONE = {"strict-on": "Strict mode is on.", "strict-off": "Strict mode is off."}


class KeyViews:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def page(
        self,
        dash: Dashboard,
        visit: Visit,
        problem: Problem | None,
        secret: str | None = None,
    ) -> Response:
        # The session's account may be stale about `strict`: read it afresh.
        account = await run_in_threadpool(dash.ports.accounts.by_id, visit.account.id)
        done = DONE.get(visit.request.query_params.get("done", ""))
        return self.guard.show(
            visit,
            "keys.html",
            problem,
            account=account or visit.account,
            done=None if problem or secret else done,
            secret=secret,
        )

    async def strict(self, dash: Dashboard, visit: Visit) -> Response:
        wanted = {"on": True, "off": False}.get(visit.form.get("strict") or "")
        if wanted is None:
            raise BadRequest("strict is on or off")
        await run_in_threadpool(accounts.set_strict, dash.ports, visit.account.api_key, wanted)
        state = "on" if wanted else "off"
        return see_other(f"{root(visit.request)}/dashboard/keys?done=strict-{state}")

    async def rotate(self, dash: Dashboard, visit: Visit) -> Response:
        if visit.form.get("confirm") != "yes":
            raise BadRequest("tick the box to confirm that the old secret stops working at once")
        pair = await run_in_threadpool(
            accounts.rotate_secret, dash.ports, dash.box, visit.account.api_key
        )
        return await self.page(dash, visit, None, secret=pair.secret)
