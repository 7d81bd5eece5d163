"""The command tree in the chosen language, Typer's and Click's own words included
(docs/i18n.md).

`Root`, the root command's class, does it all before the command line is parsed:
1. it chooses the language: `--lang` anywhere in the command line (peeked at here, so
   that help and usage errors are already in it), else $COLABCTL_LANG, the locale, en;
   an unknown value is a usage error (2), said in one `error:` line;
2. it gives every command a `--lang` option, so it is accepted after any command;
3. it translates the tree built for this run: command and option help, panels, the
   `Examples:` heading (not the command lines under it), epilogs.

Typer's and Click's own words are English in their code: Click's are hard-coded, and
typer/rich_utils.py evaluates its `_()` when imported. So they are translated where they
are shown: help through `Context` (usage line, panel titles, the help option), usage
errors where `Root` sees them go by (their English text matched against the messages
Click builds, `_CLICK_ERRORS`), and an abort likewise. Only strings change; parsing is
Click's, untouched.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup, TyperOption

from colabctl import i18n
from colabctl.i18n import N_, _

LANG_HELP = N_(
    "Language of everything shown: es, pt or en (default: $COLABCTL_LANG, the locale, en)."
)
EXAMPLES = N_("Examples:")  # the heading cli/common.examples() writes

# typer/rich_utils.py's constants, in English there (evaluated at its import).
_RICH_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
}
_HELP_OPTION = N_("Show this message and exit.")
_USAGE = N_("Usage:")
_OPTIONS_METAVAR = N_("[OPTIONS]")
_SUBCOMMAND_METAVAR = N_("COMMAND [ARGS]...")
# Typer's completion options' help, marked here for the catalogs
N_("Install completion for the current shell.")
N_("Show completion for the current shell, to copy it or customize the installation.")


def requested(args: Sequence[str]) -> str | None:
    """The value of the last `--lang` in ARGS (before a `--`), if any."""
    found = None
    words = iter(args)
    for word in words:
        if word == "--":
            break
        if word == "--lang":
            found = next(words, None)
        elif word.startswith("--lang="):
            found = word.removeprefix("--lang=")
    return found


class Root(TyperGroup):
    """The root command: chooses the language and localizes the tree, then runs as usual."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            i18n.set_language(i18n.choose(requested(argv)))
        except i18n.UnknownLanguage as unknown:
            _refuse_language(unknown.value)
        localize(self, top=True)
        try:
            return super().main(argv, *rest, **extra)
        finally:
            # the language lasts for this run: code run after it in the same process (a
            # test calling core) starts from English again
            i18n.set_language("en")

    def make_context(self, *args: Any, **extra: Any) -> Any:
        try:
            return super().make_context(*args, **extra)
        except (ClickException, typer.Abort, EOFError) as failed:
            raise _in_language(failed) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, typer.Abort, EOFError) as failed:
            raise _in_language(failed) from None


def _refuse_language(value: str) -> None:
    """An unknown --lang or $COLABCTL_LANG: one error line, in the locale's language."""
    import os

    from colabctl.cli import output
    from colabctl.core.names import quoted
    from colabctl.errors import ExitCode

    i18n.set_language(i18n.from_locale(os.environ))
    output.fail(_("unknown language %(value)s (es, pt, en)") % {"value": quoted(value)}, code=2)
    sys.exit(ExitCode.USAGE)


# -- the tree ------------------------------------------------------------------------------


class Context(typer.Context):
    """A context whose help and usage line are in the chosen language."""

    def make_formatter(self) -> HelpFormatter:
        return _Formatter(width=self.terminal_width, max_width=self.max_content_width)

    def get_help(self) -> str:
        rich_words()
        option = self.command.get_help_option(self)
        if option is not None:
            option.help = _(_HELP_OPTION)
        return super().get_help()

    def get_usage(self) -> str:
        rich_words()
        return super().get_usage()


class _Formatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _(_USAGE) + " " if prefix is None else prefix)


def rich_words() -> None:
    """typer/rich_utils.py's words in the chosen language (set on each use: one process
    may run commands in several languages, as the tests do)."""
    from typer import rich_utils

    for name, msgid in _RICH_WORDS.items():
        setattr(rich_utils, name, _(msgid))


def localize(command: Any, *, top: bool = False) -> None:
    """COMMAND and everything under it: a `--lang` option, the context above, and (in es
    or pt) its texts translated. The `--lang` of a group below the root is hidden: its
    help lists its commands, each of which shows its own."""
    group = hasattr(command, "commands")
    command.context_class = Context
    command.params.append(_lang_option(hidden=group and not top))
    if i18n.language() != "en":
        _translate(command)
    for sub in getattr(command, "commands", {}).values():
        localize(sub)


def _lang_option(*, hidden: bool) -> TyperOption:
    return TyperOption(
        param_decls=["--lang"],
        type=str,
        default=None,
        expose_value=False,  # already applied: Root.main read it before parsing
        help=LANG_HELP,
        hidden=hidden,
        show_default=False,
        metavar="LANG",
        autocompletion=_complete_languages,
    )


def _complete_languages(ctx: object, args: object, incomplete: str) -> list[str]:
    """Shell completion of --lang (Typer calls it with the context and the words so far)."""
    return [code for code in i18n.LANGUAGES if code.startswith(incomplete)]


def _translate(command: Any) -> None:
    command.help = command.help and _(command.help)
    command.short_help = command.short_help and _(command.short_help)
    command.epilog = command.epilog and _epilog(command.epilog)
    panel = getattr(command, "rich_help_panel", None)
    if panel:
        command.rich_help_panel = _(panel)
    command.options_metavar = _(_OPTIONS_METAVAR)
    if hasattr(command, "subcommand_metavar") and command.subcommand_metavar:
        command.subcommand_metavar = _(_SUBCOMMAND_METAVAR)
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            param.help = _(text)
        panel = getattr(param, "rich_help_panel", None)
        if panel:
            param.rich_help_panel = _(panel)


def _epilog(text: str) -> str:
    """An epilog translated; under an `Examples:` heading only the heading is. One built
    from parts (a Text: the root's, generated from the exit codes) translates itself."""
    if isinstance(text, i18n.Text):
        return text.translated()
    before, heading, lines = text.partition(f"\n{EXAMPLES}\n")
    if not heading:
        return _(text)
    prose = _(before.strip()) if before.strip() else before
    return f"{prose}\n{_(EXAMPLES)}\n{lines}"


# -- Click's errors ------------------------------------------------------------------------

# The messages Click and Typer build, as English patterns, and their msgids. A group that
# holds a message of its own (an invalid value's reason) is translated in turn.
_CLICK_ERRORS: list[tuple[str, str]] = [
    (r"No such option: (?P<name>\S+)", N_("No such option: %(name)s")),
    (
        r"No such option: (?P<name>\S+) \(Possible options: (?P<choices>.+)\)",
        N_("No such option: %(name)s (possible options: %(choices)s)"),
    ),
    (
        r"No such option: (?P<name>\S+) Did you mean (?P<choices>.+)\?",
        N_("No such option: %(name)s. Did you mean %(choices)s?"),
    ),
    (r"No such command (?P<name>'.*')\.", N_("No such command %(name)s.")),
    (
        r"No such command (?P<name>'.*')\. Did you mean (?P<choices>.+)\?",
        N_("No such command %(name)s. Did you mean %(choices)s?"),
    ),
    (r"Missing command\.", N_("Missing command.")),
    (r"Missing argument (?P<name>.+)\.", N_("Missing argument %(name)s.")),
    (r"Missing option (?P<name>.+)\.", N_("Missing option %(name)s.")),
    (r"Missing parameter (?P<name>.+)\.", N_("Missing parameter %(name)s.")),
    (
        r"Option (?P<name>'.*') requires an argument\.",
        N_("Option %(name)s requires an argument."),
    ),
    (
        r"Option (?P<name>'.*') requires (?P<count>\d+) arguments\.",
        N_("Option %(name)s requires %(count)s arguments."),
    ),
    (
        r"Option (?P<name>'.*') does not take a value\.",
        N_("Option %(name)s does not take a value."),
    ),
    (
        r"Got unexpected extra argument\(s\) \((?P<values>.*)\)",
        N_("Got unexpected extra arguments (%(values)s)"),
    ),
    (
        r"Invalid value for (?P<name>.+?): (?P<reason>.+)",
        N_("Invalid value for %(name)s: %(reason)s"),
    ),
    (r"Invalid value: (?P<reason>.+)", N_("Invalid value: %(reason)s")),
    (r"(?P<value>'.*') is not a valid int(?:eger)?\.", N_("%(value)s is not a valid integer.")),
    (r"(?P<value>'.*') is not a valid float\.", N_("%(value)s is not a valid number.")),
    (
        r"(?P<value>'.*') is not one of (?P<choices>.+)\.",
        N_("%(value)s is not one of %(choices)s."),
    ),
    (
        r"(?P<value>\S+) is not in the range (?P<range>.+)\.",
        N_("%(value)s is not in the range %(range)s."),
    ),
    (
        r"(?P<kind>File|Directory|Path) (?P<name>'.*') does not exist\.",
        N_("%(name)s does not exist."),
    ),
    (r"(?P<kind>File|Path) (?P<name>'.*') is a directory\.", N_("%(name)s is a directory.")),
    (r"(?P<kind>Directory|Path) (?P<name>'.*') is a file\.", N_("%(name)s is a file.")),
    (
        r"(?P<kind>File|Directory|Path) (?P<name>'.*') is not readable\.",
        N_("%(name)s cannot be read."),
    ),
    (
        r"(?P<kind>File|Directory|Path) (?P<name>'.*') is not writable\.",
        N_("%(name)s cannot be written."),
    ),
]


def click_message(text: str) -> str:
    """Click's English TEXT in the chosen language (as it is when no pattern knows it)."""
    for pattern, msgid in _CLICK_ERRORS:
        found = re.fullmatch(pattern, text, re.DOTALL)
        if found is not None:
            values = found.groupdict()
            if "reason" in values:  # an invalid value's reason: a message of its own
                values["reason"] = click_message(values["reason"])
            return _(msgid) % values
    return text


def _in_language(failed: BaseException) -> BaseException:
    """FAILED as it will be shown, in the chosen language: a usage error's text
    translated (the same exit code), Typer's words for the usage line and panel."""
    rich_words()
    if i18n.language() == "en" or not isinstance(failed, UsageError):
        return failed
    if isinstance(failed, NoArgsIsHelpError):  # the help, already shown
        return failed
    translated = UsageError(click_message(failed.format_message()), failed.ctx)
    translated.exit_code = failed.exit_code
    return translated
