from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from vakwerk.assessments import services, sjt
from vakwerk.assessments.models import SjtAnswer, SjtItem, SjtOption, Subject
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.frameworks.content import shipped_pack
from vakwerk.frameworks.models import RoleProfile
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import EmployeeFactory, RoundFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ACTOR = Actor(user=None)
PACK = "sjt-ambtelijk-vakmanschap-3.0"


@pytest.fixture
def bank(organisation):
    pack = shipped_pack(PACK)
    assert pack is not None
    return sjt.sjt_load_pack(organisation=organisation, actor=ACTOR, pack=pack)


@pytest.fixture
def people(organisation, framework_version, member_client):
    """Two front-desk officers with a login each: (client, employee)."""
    profile = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    result = []
    for _ in range(2):
        client, user = member_client(organisation, Role.EMPLOYEE)
        employee = EmployeeFactory(organisation=organisation, user=user, role_profile=profile)
        result.append((client, employee))
    return result


@pytest.fixture
def open_round(organisation, framework_version, people, bank):
    round_ = RoundFactory(organisation=organisation, version=framework_version)
    services.round_open(round_=round_, actor=ACTOR)
    round_.refresh_from_db()
    return round_


def _subject(round_, employee) -> Subject:
    return Subject.objects.select_related("round").get(round=round_, employee=employee)


def _rate(subject: Subject, rating_for_key, items=None) -> None:
    for item in items if items is not None else sjt.sjt_items_for(subject):
        for option in item.options.all():
            services.sjt_answer_save(
                subject=subject, option=option, rating=rating_for_key(float(option.key))
            )


def _rounded(key: float) -> int:
    return int(key + 0.5)


def _take_url(subject: Subject, number: int | None = None) -> str:
    url = reverse("sjt:take", kwargs={"subject_id": subject.pk})
    return url if number is None else f"{url}?item={number}"


# ----------------------------------------------------------------------------- loading


def test_shipped_pack_loads_42_items_of_four_options_and_a_second_load_adds_nothing(
    organisation,
):
    pack = shipped_pack(PACK)
    assert pack is not None
    out = StringIO()
    call_command("load_content", str(pack.path), organisation=organisation.slug, stdout=out)
    assert "42 situational judgement items added" in out.getvalue()
    assert SjtItem.objects.filter(organisation=organisation).count() == 42
    assert SjtOption.objects.filter(item__organisation=organisation).count() == 42 * 4
    item = SjtItem.objects.get(organisation=organisation, code="SJT-RES-01")
    assert item.competency_code == "AV-RES"
    assert item.situation_en.startswith("You are a permit officer")
    assert [float(o.key) for o in item.options.all()] == [4.3, 3.1, 1.6, 2.4]
    assert sjt.sjt_load_pack(organisation=organisation, actor=ACTOR, pack=pack) == 0
    assert SjtOption.objects.filter(item__organisation=organisation).count() == 42 * 4
    events = AuditEvent.objects.filter(action="sjt.load_pack", organisation=organisation)
    assert sorted(e.details["created"] for e in events) == [0, 42]


def test_a_pack_of_another_kind_is_refused(organisation):
    pack = shipped_pack("ambtelijk-vakmanschap-3.0")
    assert pack is not None
    with pytest.raises(ValidationError):
        sjt.sjt_load_pack(organisation=organisation, actor=ACTOR, pack=pack)


# ----------------------------------------------------------------------------- scoring

KEYS = {
    "A": {1: 4.3, 2: 3.1, 3: 1.6, 4: 2.4},
    "B": {1: 2.1, 2: 1.7, 3: 4.5, 4: 2.6},
    "C": {1: 2.8, 2: 1.9, 3: 2.5, 4: 4.5},
    "D": {1: 3.6, 2: 4.5, 3: 1.6, 4: 2.3},
}


def _answers(rating_for_key) -> dict[str, dict[int, float]]:
    return {code: {p: rating_for_key(k) for p, k in key.items()} for code, key in KEYS.items()}


def test_answers_in_the_keys_order_score_4():
    assert sjt.score_answers(_answers(_rounded), KEYS) == dict.fromkeys(KEYS, 4)


def test_reversed_answers_score_0_or_1():
    scores = sjt.score_answers(_answers(lambda k: 6 - _rounded(k)), KEYS)
    assert set(scores) == set(KEYS)
    assert max(scores.values()) <= 1


def test_a_lenient_or_extreme_rater_scores_as_one_who_rates_the_same_way_plainly():
    """Within-person standardisation removes elevation and scatter."""
    plain = sjt.score_answers(_answers(lambda k: k), KEYS)
    lenient_and_extreme = sjt.score_answers(_answers(lambda k: 1.5 * k + 0.5), KEYS)
    assert plain == lenient_and_extreme == dict.fromkeys(KEYS, 4)


def test_constant_answers_are_not_scored():
    assert sjt.score_answers(_answers(lambda k: 3), KEYS) == {}


def test_a_partly_rated_item_is_not_scored():
    answers = _answers(_rounded)
    del answers["B"][3]
    scores = sjt.score_answers(answers, KEYS)
    assert set(scores) == {"A", "C", "D"}


def test_the_cut_points_map_distance_to_scores():
    zero = [0.0, 0.0, 0.0, 0.0]
    assert sjt.score_item([0.49] * 4, zero) == 4
    assert sjt.score_item([0.5] * 4, zero) == 3
    assert sjt.score_item([-0.9] * 4, zero) == 2
    assert sjt.score_item([1.2] * 4, zero) == 1
    assert sjt.score_item([1.4] * 4, zero) == 0
    assert sjt.standardise([3, 3, 3]) == [0.0, 0.0, 0.0]


def test_subject_scores_come_from_saved_ratings(open_round, people):
    subject = _subject(open_round, people[0][1])
    items = sjt.sjt_items_for(subject)
    _rate(subject, _rounded, items[:3])
    # A fourth item half rated: left out.
    services.sjt_answer_save(subject=subject, option=items[3].options.all()[0], rating=2)
    assert sjt.subject_scores(subject) == {item.code: 4 for item in items[:3]}


# ----------------------------------------------------------------------------- choosing items


@dataclass(frozen=True)
class FakeItem:
    code: str
    competency_code: str


COMPETENCIES = ("AV-AAA", "AV-BBB", "AV-CCC")
BANK = [FakeItem(f"SJT-{c[3:]}-{n:02d}", c) for c in COMPETENCIES for n in range(1, 7)]


def test_a_test_is_spread_over_the_persons_competencies_and_capped():
    chosen = sjt.select_items(BANK, COMPETENCIES, "subject:1")
    assert len(chosen) == sjt.MAX_ITEMS
    per_competency = {c: sum(1 for i in chosen if i.competency_code == c) for c in COMPETENCIES}
    assert per_competency == {"AV-AAA": 4, "AV-BBB": 4, "AV-CCC": 4}


def test_too_few_own_items_are_filled_up_from_other_competencies():
    chosen = sjt.select_items(BANK, ["AV-AAA"], "subject:1")
    assert len(chosen) == sjt.MIN_ITEMS
    assert sum(1 for i in chosen if i.competency_code == "AV-AAA") == 6


def test_items_already_answered_stay_in_the_test():
    first = sjt.select_items(BANK, COMPETENCIES, "subject:1")
    left_out = next(i for i in BANK if i not in first)
    again = sjt.select_items(BANK, COMPETENCIES, "subject:1", answered=[left_out.code])
    assert left_out in again
    assert len(again) == sjt.MAX_ITEMS


def test_order_is_stable_per_person_and_differs_between_people(open_round, people):
    one, two = (_subject(open_round, employee) for _client, employee in people)
    first = [i.code for i in sjt.sjt_items_for(one)]
    assert len(first) == sjt.MAX_ITEMS
    assert [i.code for i in sjt.sjt_items_for(one)] == first
    assert [i.code for i in sjt.sjt_items_for(two)] != first
    # The pages show the same order.
    client = people[0][0]
    for number in (1, 2):
        item = SjtItem.objects.get(organisation=open_round.organisation, code=first[number - 1])
        response = client.get(_take_url(one, number))
        assert escape(item.situation_label).encode() in response.content


# ----------------------------------------------------------------------------- pages


def test_the_subject_opens_their_own_test(open_round, people):
    client, employee = people[0]
    subject = _subject(open_round, employee)
    item = sjt.sjt_items_for(subject)[0]
    response = client.get(_take_url(subject))
    assert response.status_code == 200
    assert escape(item.situation_label).encode() in response.content
    assert response.content.count(b'type="radio"') == 4 * 5
    assert b"<progress" in response.content
    assert b"<fieldset" in response.content


def test_nobody_else_opens_a_test(open_round, people, member_client, organisation):
    subject = _subject(open_round, people[0][1])
    colleague_client = people[1][0]
    hr_client, _user = member_client(organisation, Role.HR)
    for client in (colleague_client, hr_client):
        assert client.get(_take_url(subject)).status_code == 404
        assert client.post(_take_url(subject, 1)).status_code == 404
        finish = reverse("sjt:finish", kwargs={"subject_id": subject.pk})
        assert client.get(finish).status_code == 404
        assert client.post(finish).status_code == 404


def test_a_test_in_another_organisation_is_404(
    open_round, people, member_client, other_organisation
):
    subject = _subject(open_round, people[0][1])
    client, _user = member_client(other_organisation, Role.EMPLOYEE)
    EmployeeFactory(organisation=other_organisation, user=_user)
    assert client.get(_take_url(subject)).status_code == 404


def test_a_round_without_sjt_has_no_test_page(open_round, people):
    client, employee = people[0]
    open_round.use_sjt = False
    open_round.save(update_fields=["use_sjt"])
    assert client.get(_take_url(_subject(open_round, employee))).status_code == 404


def test_htmx_saves_each_rating_as_given(open_round, people):
    client, employee = people[0]
    subject = _subject(open_round, employee)
    option = sjt.sjt_items_for(subject)[0].options.all()[1]
    response = client.post(
        _take_url(subject, 1), {f"option-{option.pk}": "4"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<progress" in response.content
    assert b"<html" not in response.content  # a fragment
    assert b"saved" in response.content
    assert SjtAnswer.objects.get(subject=subject, option=option).rating == 4
    # Changed in a second tab: still one answer, with the last rating.
    client.post(_take_url(subject, 1), {f"option-{option.pk}": "2"}, headers={"HX-Request": "true"})
    assert SjtAnswer.objects.filter(subject=subject).count() == 1
    assert SjtAnswer.objects.get(subject=subject, option=option).rating == 2


def test_without_javascript_the_page_saves_and_goes_on(open_round, people):
    client, employee = people[0]
    subject = _subject(open_round, employee)
    options = list(sjt.sjt_items_for(subject)[1].options.all())
    data = {f"option-{o.pk}": str(n) for n, o in enumerate(options, start=1)} | {"go": "next"}
    response = client.post(_take_url(subject, 2), data)
    assert response.status_code == 302
    assert response.url == _take_url(subject, 3)
    saved = dict(SjtAnswer.objects.filter(subject=subject).values_list("option_id", "rating"))
    assert saved == {o.pk: n for n, o in enumerate(options, start=1)}
    response = client.post(_take_url(subject, 2), {"go": "previous"})
    assert response.url == _take_url(subject, 1)
    # An impossible rating is refused with a message and nothing changes.
    response = client.post(
        _take_url(subject, 2), {f"option-{options[0].pk}": "9", "go": "next"}, follow=True
    )
    assert b"from 1 (very ineffective) to 5" in response.content
    assert SjtAnswer.objects.get(subject=subject, option=options[0]).rating == 1


def test_finishing_requires_every_situation_fully_rated(open_round, people):
    client, employee = people[0]
    subject = _subject(open_round, employee)
    items = sjt.sjt_items_for(subject)
    finish = reverse("sjt:finish", kwargs={"subject_id": subject.pk})
    _rate(subject, _rounded, items[:-1])
    last = items[-1]
    response = client.post(finish, follow=True)
    assert b"1 situation still needs a rating" in response.content
    subject.refresh_from_db()
    assert subject.sjt_completed_at is None
    assert f"?item={len(items)}".encode() in response.content  # the missing one, linked
    _rate(subject, _rounded, [last])
    response = client.post(finish, follow=True)
    assert b"has been handed in" in response.content
    subject.refresh_from_db()
    assert subject.sjt_completed_at is not None
    assert AuditEvent.objects.filter(action="sjt.complete", object_id=str(subject.pk)).exists()


def test_answers_after_closing_are_refused(open_round, people):
    client, employee = people[0]
    subject = _subject(open_round, employee)
    option = sjt.sjt_items_for(subject)[0].options.all()[0]
    services.round_close(round_=open_round, actor=ACTOR)
    response = client.post(
        _take_url(subject, 1), {f"option-{option.pk}": "4"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert b"This round is closed" in response.content
    response = client.post(
        _take_url(subject, 1), {f"option-{option.pk}": "4", "go": "next"}, follow=True
    )
    assert b"This round is closed" in response.content
    assert not SjtAnswer.objects.filter(subject=subject).exists()
    page = client.get(_take_url(subject, 1))
    assert b"disabled" in page.content
    with pytest.raises(services.RoundClosedError):
        sjt.sjt_complete(subject=subject, actor=ACTOR)


# ----------------------------------------------------------------------------- evidence


def test_evidence_rows_cover_completed_tests_only(open_round, people):
    done, busy = (_subject(open_round, employee) for _client, employee in people)
    _rate(done, _rounded)
    sjt.sjt_complete(subject=done, actor=ACTOR)
    _rate(busy, lambda k: 6 - _rounded(k))  # rated, never handed in
    rows = list(sjt.sjt_evidence_rows(open_round))
    items = sjt.sjt_items_for(done)
    assert len(rows) == len(items) == sjt.MAX_ITEMS
    assert {row["person"] for row in rows} == {done.employee.employee_number}
    assert {row["item"] for row in rows} == {item.code for item in items}
    competencies = {item.code: item.competency_code for item in items}
    for row in rows:
        assert row["competency"] == competencies[row["item"]]
        assert (row["source"], row["rater"], row["score"], row["categories"]) == ("sjt", "", 4, 5)


def test_the_demo_loads_the_item_bank(organisation):
    from vakwerk.people.demo import seed_framework

    seed_framework(organisation)
    assert SjtItem.objects.filter(organisation=organisation).count() == 42


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rating_that_could_not_be_saved_is_said_on_the_page(
    open_round, people, new_page, live_url
):
    from playwright.sync_api import expect

    from vakwerk.tests.browser import login as browser_login

    _client, employee = people[0]
    subject = _subject(open_round, employee)
    page = new_page(locale="en")
    browser_login(page, live_url, employee.user.email, "correct-horse-battery")
    page.goto(live_url + _take_url(subject, 1))
    first = page.locator("input[type=radio][value='2']").first
    page.context.set_offline(True)
    first.check()
    expect(page.locator("#save-error")).to_contain_text("could not be saved")
    assert not SjtAnswer.objects.filter(subject=subject).exists()
    page.context.set_offline(False)
    page.locator("input[type=radio][value='4']").first.check()
    expect(page.locator("#sjt-status")).to_contain_text("has been saved")
    expect(page.locator("#save-error")).to_be_empty()
    assert list(SjtAnswer.objects.filter(subject=subject).values_list("rating", flat=True)) == [4]
