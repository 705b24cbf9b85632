"""Money in a currency in the portal: the register form says which currencies a budget may be
given in, a budget typed in dollars is tiered on its amount in euros, and the project page and
the policy page show the conversion with its rate, date and source."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.integration.factories import policy_source
from tests.web.conftest import Auth
from tests.web.test_projects import REGISTRATION, audit_events, error_next_to, text_of
from workflows.identity import system
from workflows.verbs import publishing
from workflows.workspace import Workspace

IN_EUROS = (
    "initial_stage: initiation\n",
    "initial_stage: initiation\n"
    "currency: EUR\n"
    "exchange_rates:\n"
    "  as_of: 2026-11-30\n"
    "  source: ECB reference rates\n"
    "  rates:\n"
    "    USD: 0.92\n",
)


@pytest.fixture
def in_euros(workspace: Workspace) -> None:
    """standard@4: the standard policy in EUR, with a rate for USD."""
    source = policy_source("standard", 4).replace(*IN_EUROS)
    with workspace.unit_of_work() as uow:
        publishing.publish(uow, system(), source, "standard-v4.yaml")
        uow.commit()


def register(auth: Auth, budget: str) -> TestResponse:
    data = {**REGISTRATION, "facts-budget": budget, "register": "x"}
    return auth.post("/projects/new", data, page_url="/projects/new?policy=standard")


def test_the_register_form_says_which_currencies_a_budget_may_be_in(
    in_euros: None, client: FlaskClient, auth: Auth
) -> None:
    auth.login("pm.lee")

    page = html.unescape(text_of(client.get("/projects/new?policy=standard")))

    assert "An amount in EUR, or in USD with its code first: USD 250000." in page
    assert not re.search(r'<input[^>]*id="facts-budget"[^>]*inputmode="decimal"', page)


def test_a_budget_in_dollars_is_tiered_in_euros_and_shown_with_its_conversion(
    in_euros: None, client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")

    response = register(auth, "USD 260,000")

    assert response.status_code == 302
    page = html.unescape(text_of(client.get("/projects/NEW-1")))
    assert "NEW-1 is registered under standard@4, tier medium." in page
    assert "USD 260,000 (EUR 239,200 at 0.92, ECB reference rates 2026-11-30)" in page
    [event] = audit_events(workspace, "NEW-1", "project.registered")
    assert event["data"]["facts"]["budget"] == "USD 260000"


def test_a_budget_in_a_currency_without_a_rate_is_refused_next_to_the_field(
    in_euros: None, client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")

    response = register(auth, "GBP 260000")

    page = html.unescape(text_of(response))
    assert "is in GBP, which this fact does not accept: give it in 'EUR' or 'USD'" in (
        error_next_to(page, "facts-budget")
    )
    assert audit_events(workspace, "NEW-1", "project.registered") == []


def test_the_policy_page_states_the_currency_and_the_rates(
    in_euros: None, client: FlaskClient, auth: Auth
) -> None:
    auth.login("pm.lee")

    page = html.unescape(text_of(client.get("/policies/standard/4")))

    assert "Currency: EUR. Money given without a currency is in EUR" in page
    assert "1 USD = 0.92 EUR" in page
    assert "in EUR, USD; required" in page
