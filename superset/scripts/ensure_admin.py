"""Create the Superset admin user, or reset its password to SUPERSET_ADMIN_PASSWORD.

Runs in the Superset environment after ``superset init`` (which creates the Admin role).
Reads the user name from CW_SUPERSET_ADMIN (default ``admin``) and the password from
SUPERSET_ADMIN_PASSWORD, so the password never appears on a command line.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    username = os.environ.get("CW_SUPERSET_ADMIN", "admin")
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD")
    if not password:
        print("SUPERSET_ADMIN_PASSWORD is not set: set it to the admin password to create", file=sys.stderr)
        return 2

    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager

        role = security_manager.find_role(security_manager.auth_role_admin)
        if role is None:
            print("Admin role not found: run `superset init` first", file=sys.stderr)
            return 1
        user = security_manager.find_user(username=username)
        if user is None:
            created = security_manager.add_user(
                username, "Customer", "Warehouse", f"{username}@localhost", role, password
            )
            if not created:
                print(f"creating Superset user {username!r} failed: see the log above", file=sys.stderr)
                return 1
            print(f"created admin user {username}")
        else:
            security_manager.reset_password(user.id, password)
            if role not in user.roles:
                user.roles.append(role)
            db.session.commit()
            print(f"reset password of admin user {username}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
