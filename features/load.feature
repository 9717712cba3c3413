@load
Feature: Scaling from real request load
  Clients send chat completions to the inference simulator's Service, as users of the
  model would. Each simulator pod runs at most 2 requests at a time and queues the
  rest, and reports its running and waiting requests as vLLM does, so what the scaler
  reads follows from the requests each pod receives. BudAIScaler adds replicas while
  requests queue up, and removes them once the clients have stopped.

  The scaler "llm-inference-scaler" (configs/load-test.yaml) reads the simulator's own
  metrics: 2 running requests per pod (a full batch) and 1 waiting request are its
  targets, with 1 to 5 replicas, a 30 second scale-up window and a 60 second
  scale-down window.

  Runs on a real cluster as on the embedded one: there the load generator pod's clients
  send over the cluster network to the llm-d simulator, paced by its flags in
  mocks/simulator.yaml (on the project's control plane about 3.5 minutes each).

  Background:
    Given the inference simulator is running
    And the scaler configured in "load-test" is applied

  Scenario: Requests queuing up add replicas, which go once the clients stop
    Given the scaler is Ready
    And the desired replicas stay at 1 for 30 seconds
    When 8 clients send requests to the model for 10 minutes
    Then the desired replicas rise above 1 within 2 minutes
    And the scaling history records a scale-up from 1 replica
    # 8 requests at a time, 2 running on each pod: 4 replicas, none waiting
    And the desired replicas reach 4 within 3 minutes
    When the clients stop sending requests
    Then the desired replicas fall to 1 within 3 minutes
    And every request the clients sent has been answered

  Scenario: Clients one pod serves at full pace add no replica
    Given the scaler is Ready
    When 2 clients send requests to the model for 10 minutes
    Then the desired replicas stay at 1 for 3 minutes
    And the clients' requests are being answered
