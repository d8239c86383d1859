"""docs/ODD.md stays complete and true: it names every parameter, state column and
action column, no parameter that does not exist, and only source files that exist.

The names are taken from the code (the rows ``python run.py params`` prints, the
kernels' state columns, the action dimensions), so a parameter or column added to the
model without being described in the ODD document fails here, and so does a parameter
removed from the model but still described.
"""

from __future__ import annotations

import re

import pytest
from support import ARTICLE_ENV, ROOT, article_path

from model import load_scenario
from model.cli.params import parameter_rows
from model.core.actions import ACTION_COLUMNS, ESCALATION_COLUMNS
from model.core.parameters import SPECS
from model.core.state import ESCALATION_STATE_COLUMNS, STATE_COLUMNS

ODD = ROOT / "docs" / "ODD.md"


def missing(names, text: str) -> list[str]:
    """The names that do not occur in ``text`` as whole dotted names.

    ``russia.arms`` must not count as present because ``russia.arms_x`` or
    ``x.russia.arms`` occurs; a name may be followed by punctuation (a full stop).
    """
    return [name for name in names
            if not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w|\.\w)", text)]


@pytest.fixture(scope="module")
def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


def parameter_keys() -> list[str]:
    """Every key ``python run.py params`` prints for the baseline."""
    return [row["key"] for row in parameter_rows(load_scenario("baseline"))]


def test_params_command_prints_every_spec():
    assert parameter_keys() == list(SPECS)


def test_every_parameter_is_described(odd_text):
    assert missing(parameter_keys(), odd_text) == []


def test_every_state_column_is_described(odd_text):
    assert missing(STATE_COLUMNS, odd_text) == []


def test_every_action_column_is_described(odd_text):
    assert missing(ACTION_COLUMNS, odd_text) == []


def test_the_escalation_modules_columns_are_described(odd_text):
    assert missing((*ESCALATION_STATE_COLUMNS, *ESCALATION_COLUMNS), odd_text) == []


@pytest.mark.parametrize("name", [parameter_keys()[0], STATE_COLUMNS[-1], ACTION_COLUMNS[3]])
def test_a_name_removed_from_the_document_is_reported(odd_text, name):
    pattern = rf"(?<![\w.]){re.escape(name)}(?!\w|\.\w)"
    assert re.search(pattern, odd_text)
    stripped = re.sub(pattern, "", odd_text)
    assert missing([name], stripped) == [name]
    assert missing([name], odd_text.replace(name, name + "_renamed")) == [name]


#: Dotted names that look like parameter keys (not file names such as dynamics.py).
PARAMETER_LIKE = re.compile(r"(?<![\w./])((?:levers|dynamics|initial)\.\w+"
                            r"|(?:russia|north_korea|united_states|china)\.(?:weights\.\w+|lam))"
                            r"(?!\w)")


def unknown_parameters(text: str) -> list[str]:
    """Parameter-like names in ``text`` that are not parameters (removed or misspelt)."""
    return sorted(set(PARAMETER_LIKE.findall(text)) - set(parameter_keys()))


def test_no_parameter_named_that_does_not_exist(odd_text):
    assert unknown_parameters(odd_text) == []


def test_a_stale_parameter_is_reported(odd_text):
    stale = odd_text + "\n`dynamics.no_such_rate` and russia.weights.gone.\n"
    assert unknown_parameters(stale) == ["dynamics.no_such_rate", "russia.weights.gone"]


def test_named_source_files_exist(odd_text):
    paths = set(re.findall(r"`((?:model|tests|experiments)/[\w/]+\.(?:py|toml))`", odd_text))
    assert paths, "the document names no source files"
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []


def test_paraphrases_the_article(odd_text):
    """No run of 8 words in common with the source article (cite, never copy)."""
    article = article_path()
    if article is None:
        pytest.skip(f"no copy of the source article (set {ARTICLE_ENV} to its text file)")
    words = re.findall(r"[a-z’']+", article.read_text(encoding="utf-8").lower())
    grams = {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}
    ours = re.findall(r"[a-z’']+", odd_text.lower())
    assert [g for g in (" ".join(ours[i:i + 8]) for i in range(len(ours) - 7))
            if g in grams] == []
