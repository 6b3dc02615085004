"""The dashboard's routes, all under /dashboard/, and `/` sending a browser there."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from flipshelf.player.assets import asset_version
from flipshelf.web.caching import VersionedStatic
from flipshelf.web.dashboard.collection_views import CollectionViews
from flipshelf.web.dashboard.context import Dashboard
from flipshelf.web.dashboard.embed_views import EmbedViews
from flipshelf.web.dashboard.guard import Guard
from flipshelf.web.dashboard.key_views import KeyViews
from flipshelf.web.dashboard.render import STATIC_DIR, root
from flipshelf.web.dashboard.signin_views import SignInViews
from flipshelf.web.dashboard.stats_views import StatsViews
from flipshelf.web.dashboard.upload_views import UploadViews

C = "/dashboard/c/{collection}"
POST = ["POST"]


async def to_dashboard(request: Request) -> Response:
    return RedirectResponse(f"{root(request)}/dashboard/", status_code=302)


def dashboard_routes(dash: Dashboard) -> list[BaseRoute]:
    guard = Guard(dash)
    signin, shelf = SignInViews(guard), CollectionViews(guard)
    uploads, embed = UploadViews(guard), EmbedViews(guard)
    charts, keys = StatsViews(guard), KeyViews(guard)
    page, action, data, upload = guard.page, guard.action, guard.data, guard.upload
    return [
        # Before the player's /static mount (app.py puts these routes first).
        Mount(
            "/static/dashboard",
            app=VersionedStatic(directory=STATIC_DIR, version=asset_version(STATIC_DIR)),
        ),
        Route("/", to_dashboard, methods=["GET", "HEAD"]),
        Route("/dashboard", to_dashboard, methods=["GET", "HEAD"]),
        Route("/dashboard/login", signin.login_page),
        Route("/dashboard/login", signin.login, methods=POST),
        Route("/dashboard/login/link", signin.link_page),
        Route("/dashboard/login/link", signin.redeem_link, methods=POST),
        Route("/dashboard/logout", action(signin.logout, shelf.listing), methods=POST),
        Route("/dashboard/", page(shelf.listing)),
        Route("/dashboard/status.json", data(shelf.progress_of_many)),
        Route("/dashboard/new", page(uploads.new_page)),
        Route("/dashboard/new", upload(uploads.create), methods=POST),
        Route("/dashboard/stats", page(charts.account)),
        Route("/dashboard/keys", page(keys.page)),
        Route("/dashboard/keys/strict", action(keys.strict, keys.page), methods=POST),
        Route("/dashboard/keys/rotate", action(keys.rotate, keys.page), methods=POST),
        Route(C, page(shelf.collection)),
        Route(f"{C}/status.json", data(shelf.progress)),
        Route(f"{C}/settings", action(shelf.settings, shelf.collection), methods=POST),
        Route(f"{C}/delete", action(shelf.delete, shelf.collection), methods=POST),
        Route(f"{C}/books", upload(uploads.add_book), methods=POST),
        Route(f"{C}/books/{{flipbook}}/move", action(shelf.move, shelf.collection), methods=POST),
        Route(
            f"{C}/books/{{flipbook}}/delete",
            action(shelf.remove_book, shelf.collection),
            methods=POST,
        ),
        Route(f"{C}/image/{{role:str}}", page(shelf.image)),
        Route(f"{C}/image/{{role:str}}", upload(uploads.set_image), methods=POST),
        Route(
            f"{C}/image/{{role:str}}/delete",
            action(shelf.remove_image, shelf.collection),
            methods=POST,
        ),
        Route(f"{C}/embed", page(embed.page)),
        Route(f"{C}/embed.json", data(embed.code)),
        Route(f"{C}/embed/preview", page(embed.preview)),
        Route(f"{C}/private-link", action(embed.make_private_link, embed.page), methods=POST),
        Route(f"{C}/package", data(embed.package), methods=POST),
        Route(f"{C}/package/download", action(embed.package_form, embed.page), methods=POST),
        Route(f"{C}/stats", page(charts.collection)),
    ]
