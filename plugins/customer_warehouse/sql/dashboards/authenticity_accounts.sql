-- Latest authenticity score of each account (authenticity.account_scores, written by the
-- scoring step before the quality gate), with coarse attributes only: no key, reason
-- text or evidence. signup_month is the account's creation month: sign-up for the shop,
-- first purchase for Olist, enrolment for the CRM. person_account_count is the number of
-- accounts identity resolution linked into the account's person.
create view dashboards.authenticity_accounts as
select
    scores.source,
    features.signup_channel,
    date_trunc('month', features.created_at at time zone 'UTC')::date as signup_month,
    scores.score,
    scores.band,
    scores.is_excluded,
    cardinality(scores.reason_codes) as reason_count,
    scores.review_decision,
    persons.account_count as person_account_count,
    scores.run_id,
    scores.scored_at
from authenticity.account_scores as scores
left join authenticity.account_features as features
    on features.customer_key = scores.customer_key
left join identity.persons as persons
    on persons.person_key = scores.person_key;
