from django.core.management.base import BaseCommand, CommandParser

from birdsite.accounts.services import demo_user_ensure


class Command(BaseCommand):
    help = (
        "Create the demo user if it does not exist (with --password, or a random password printed once). "
        "An existing user, and its password, are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default=None, help="default: a random one, printed")

    def handle(self, *args: object, username: str, password: str | None, **options: object) -> None:
        _, created_with = demo_user_ensure(username=username, password=password)
        if created_with is None:
            self.stdout.write(f"demo user {username!r} exists; its password is unchanged")
        elif password:
            self.stdout.write(f"created demo user {username!r}")
        else:
            self.stdout.write(f"created demo user {username!r} with password {created_with}")
