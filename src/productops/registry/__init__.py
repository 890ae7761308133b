"""Registries kept in the store: experiments, surveys and activities (see README.md).

May import `experiments`, `ingest`, `engine`, `schema` and `errors`; imported by the interfaces.
"""

from productops.registry.activities import ACTIVITY_KINDS, list_activities, log_activity
from productops.registry.experiments import (
    Analysis,
    analyze_experiment,
    decide,
    list_experiments,
    load,
    register,
    start,
    stop,
)
from productops.registry.surveys import (
    SURVEY_KINDS,
    Survey,
    answer_survey,
    close_survey,
    create_survey,
    list_surveys,
    load_survey,
    parse_answer,
    respondent_hash,
)

__all__ = [
    "ACTIVITY_KINDS",
    "SURVEY_KINDS",
    "Analysis",
    "Survey",
    "analyze_experiment",
    "answer_survey",
    "close_survey",
    "create_survey",
    "decide",
    "list_activities",
    "list_experiments",
    "list_surveys",
    "load",
    "load_survey",
    "log_activity",
    "parse_answer",
    "register",
    "respondent_hash",
    "start",
    "stop",
]
