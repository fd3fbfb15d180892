"""Steps about the platform as a whole."""

from behave import given

from support.scenario import world


@given("the platform is running")
def step_platform_running(context):
    world(context).platform  # started once per run; a platform that cannot start stops the run with why
