@policies
Feature: Scaling policies: how fast and in which direction a scaler may change the replicas
  A scaler's behaviour lists, per direction, policies that limit the change over a
  period (so many pods, or a percentage of the replicas at the start of the period);
  selectPolicy picks the policy that allows the most change (Max), the least (Min),
  or no change at all in that direction (Disabled). Annotations on the scaler
  override the rates: maxScaleDownRate 2 lets the replicas halve at most per step.

  The scaler "policy-test-scaler" (configs/policy-test.yaml) scales the inference
  simulator (1 to 10 replicas) on the GPU cache usage the mock vLLM metrics server
  reports (target 70%). A scale-up may add the more of 2 pods and 50% per 30
  seconds; a scale-down may remove the less of 1 pod and 20% per minute. As a
  Kubernetes HPA does, a period counts the net change, so every scale-down here
  starts from a minute at the maximum.

  Background:
    Given the mock vLLM metrics server is running
    And the inference simulator is running
    And GPU cache usage is 100% on every pod of the mock vLLM metrics server
    And the scaler configured in "policy-test" is applied

  Scenario Outline: The first scale-down follows selectPolicy <select>
    Given the desired replicas have reached 10 within 5 minutes
    And the desired replicas stay at 10 for 1 minute
    And the scaler's scale-down policies are combined by "<select>"
    When GPU cache usage falls to 20% on every pod of the mock vLLM metrics server
    Then the first scale-down goes from 10 to <to> replicas within 1 minute

    Examples:
      | select | to |
      | Min    | 9  |
      | Max    | 8  |

  # Known gap: the controller applies each policy per 10-second tick, ignoring its
  # period, so "1 pod a minute" removes a pod every tick.
  @known-gap @quirk.policy-period-ignored
  Scenario: A scale-down policy limits the change over its whole period
    Given the desired replicas have reached 10 within 5 minutes
    And the desired replicas stay at 10 for 1 minute
    When GPU cache usage falls to 20% on every pod of the mock vLLM metrics server
    Then the desired replicas fall to at most 9 within 1 minute
    And the replicas fall by at most 1 in any 60 seconds for 3 minutes

  Scenario: A disabled scale-down keeps the replicas when the load falls
    Given the desired replicas have reached at least 4 within 3 minutes
    And the scaler's scale-down policies are combined by "Disabled"
    When GPU cache usage falls to 10% on every pod of the mock vLLM metrics server
    Then the desired replicas hold for 2 minutes

  # Known gap: the controller honours Disabled only when the direction lists a policy.
  @known-gap @quirk.select-disabled-needs-policies
  Scenario: A scale-down disabled without policies keeps the replicas too
    Given the desired replicas have reached at least 4 within 3 minutes
    And the scaler's scale-down is disabled, with no policies
    When GPU cache usage falls to 10% on every pod of the mock vLLM metrics server
    Then the desired replicas hold for 2 minutes

  # Known gap: the controller multiplies by the scale-down rate as written, so a
  # rate of 2 (may halve) doubles the floor and the replicas never fall.
  @known-gap @quirk.rate-reverses-direction
  Scenario: An annotation's scale-down rate of 2 lets the replicas fall by half at most
    Given the desired replicas have reached at least 4 within 3 minutes
    And the scaler's annotation "max-scale-down-rate" is "2.0"
    And the scaler's scale-down has no policies
    When GPU cache usage falls to 10% on every pod of the mock vLLM metrics server
    Then the desired replicas fall to 1 within 3 minutes
