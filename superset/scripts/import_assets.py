"""Import an asset bundle with Superset's assets importer, which overwrites every object.

Runs in the Superset environment. ``superset import-dashboards`` (Superset 6.1) replaces
dashboards but keeps databases, datasets and charts that already exist, so edited YAML
would not reach them on a re-import. This script replaces all of them from the bundle.

    python import_assets.py BUNDLE.zip USERNAME
"""

from __future__ import annotations

import sys
from zipfile import ZipFile


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: import_assets.py BUNDLE.zip USERNAME", file=sys.stderr)
        return 2
    bundle_path, username = argv

    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle
        from superset.utils.core import override_user

        from superset import security_manager

        user = security_manager.find_user(username=username)
        if user is None:
            print(f"Superset user {username!r} not found: run init first", file=sys.stderr)
            return 1
        with ZipFile(bundle_path) as bundle:
            contents = get_contents_from_bundle(bundle)
        with override_user(user):
            ImportAssetsCommand(contents).run()
    print(f"imported {len(contents)} files from {bundle_path} as {username}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
