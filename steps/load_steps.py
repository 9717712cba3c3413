"""Sentences about clients sending requests to the model (the load generator)."""

from behave import given, then, when
from hamcrest import assert_that, greater_than, has_properties

LOAD_GENERATOR_READY_TIMEOUT = 120


@given("{clients:d} clients send requests to the model for {duration:Duration}")
@when("{clients:d} clients send requests to the model for {duration:Duration}")
def step_clients_send(context, clients, duration):
    context.world.send_client_requests(clients, duration, within=LOAD_GENERATOR_READY_TIMEOUT)


@when("the clients stop sending requests")
def step_clients_stop(context):
    context.world.stop_client_requests()


@then("every request the clients sent has been answered")
def step_requests_answered(context):
    status = context.world.client_requests()
    assert_that(status, has_properties(running=False, in_flight=0, succeeded=greater_than(0)),
                f"the clients' run over, with answers and none in flight (they sent {status.sent}, "
                f"{status.succeeded} answered, {status.failed} failed and sent again, "
                f"last error {status.last_error or 'none'})")


@then("the clients' requests are being answered")
def step_requests_being_answered(context):
    status = context.world.client_requests()
    assert_that(status, has_properties(running=True, succeeded=greater_than(0), failed=0),
                f"the clients still sending, with answers and no failure (they sent {status.sent}, "
                f"{status.succeeded} answered, {status.failed} failed, last error {status.last_error or 'none'})")
