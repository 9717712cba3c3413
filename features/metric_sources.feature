@metric-sources
Feature: Where a scaler reads its metrics
  BudAIScaler reads each metric source the way its type says: a pod or inference
  engine source from every ready pod, in Prometheus text or JSON. With several
  sources it scales to what the most demanding of them asks for.

  The scaler "mock-metrics-scaler" (configs/mock-test.yaml) scales the mock vLLM
  metrics server (1 to 5 replicas) on the GPU cache usage its pods serve.

  Background:
    Given the mock vLLM metrics server is running
    And GPU cache usage is 0% on every inference pod
    And the scaler configured in "mock-test" is applied

  Scenario Outline: GPU cache usage read as <kind> source in <format>
    Given the scaler reads GPU cache usage as a <kind> source in <format>, against a target of 40
    And the desired replicas stay at 1 for 20 seconds
    When GPU cache usage rises to 80% on every inference pod
    Then the desired replicas rise above 1 within 60 seconds

    Examples:
      | kind            | format          |
      | pod             | Prometheus text |
      | pod             | JSON            |
      | inferenceEngine | Prometheus text |

  Scenario: With several sources the most demanding one decides
    Given the scaler reads GPU cache usage as a pod source in Prometheus text, against a target of 50
    And the scaler also reads the requests waiting on each pod, against a target of 10
    And GPU cache usage is 30% on every inference pod
    And the desired replicas stay at 1 for 20 seconds
    When 40 requests are waiting on every inference pod
    Then the desired replicas rise above 1 within 60 seconds
