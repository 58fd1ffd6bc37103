from django.core.management.base import BaseCommand, CommandParser

from birdsite.accounts.services import demo_user_ensure


class Command(BaseCommand):
    help = "Create (or reset the password of) the demo user that `make run` prints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="birdwatcher")

    def handle(self, *args: object, username: str, password: str, **options: object) -> None:
        _, created = demo_user_ensure(username=username, password=password)
        self.stdout.write(f"{'created' if created else 'reset'} demo user {username!r}")
