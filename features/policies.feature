@policies
Feature: Scaling policies: how fast and in which direction a scaler may change the replicas
  A scaler's behaviour lists, per direction, policies that limit the change over a
  period (so many pods, or a percentage of the replicas at the start of the period);
  selectPolicy picks the policy that allows the most change (Max), the least (Min),
  or no change at all in that direction (Disabled). While too many of the
  workload's pods are still starting (not ready yet), a scale-up waits for them;
  KPA in panic may pass them when bypassGateOnPanic says so. Annotations on the
  scaler override its behaviour: the rates (a scale-down rate of 2 lets the
  replicas halve at most per step), the tolerances, the windows and KPA's panic
  threshold.

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

  # maxScaleRate caps each scale-up at the replicas times the rate, rounded up: at
  # 1.2 the load here (1.43 times the target) climbs 1, 2, 3, 4, 5, 6, 8, 10 where
  # the load alone would take it 1, 2, 3, 5, 7, 10.
  Scenario: A scale-up rate of 1.2 lets each scale-up add at most a fifth of the replicas
    Given the scaler's scale-up may multiply the replicas by at most 1.2 at a time, with no policies
    Then the desired replicas reach 10 within 2 minutes
    And no scale-up in the scaling history multiplied the replicas by more than 1.2, rounded up

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

  # A scale-up rate below 1 is read the other way up too: 0.5 lets the replicas
  # at most double per step. Known gap: the controller multiplies by it as written,
  # so a scale-up may reach only half the replicas and never comes.
  @known-gap @quirk.rate-reverses-direction
  Scenario: An annotation's scale-up rate of 0.5 lets the replicas at most double at a time
    Given the scaler's annotation "max-scale-up-rate" is "0.5"
    And the scaler's scale-up has no policies
    Then the desired replicas reach 10 within 2 minutes
    And no scale-up in the scaling history multiplied the replicas by more than 2, rounded up

  Scenario: A scale-up waits while half of the pods are still starting, and goes on once they are ready
    Given new inference pods take 3 minutes to become ready
    And the scaler holds a scale-up while 50% of its pods or more are starting
    When the desired replicas have reached 2 within 1 minute
    Then the desired replicas hold for 2 minutes
    And every inference pod is ready within 2 minutes
    And the desired replicas then rise within 1 minute

  # KPA panics on the load here at 1.2 times what its replicas carry (annotation
  # "panic-threshold"), so its second scale-up comes while the first new pod starts.
  Scenario Outline: In panic, KPA <passes or waits for> the pods still starting
    Given new inference pods take 3 minutes to become ready
    And the scaler holds a scale-up while 50% of its pods or more are starting
    And the scaler uses the KPA strategy
    And the scaler's annotation "panic-threshold" is "1.2"
    And <bypass>
    When the desired replicas have reached 2 within 1 minute
    Then the desired replicas <then>

    Examples:
      | passes or waits for | bypass                                                     | then                            |
      | passes              | the scaler lets a scale-up in panic pass the starting pods | rise above 2 within 30 seconds  |
      | waits for           | the scaler holds even a scale-up in panic while pods start | stay at 2 for 2 minutes         |

  # Known gap: the controller treats the window as a cooldown since its last
  # scale, so a scaler that has not scaled yet scales up on the first tick.
  @known-gap @quirk.stabilization-as-cooldown
  Scenario: An annotation's scale-up cooldown of 1 minute holds a scale-up that long
    Given GPU cache usage is 50% on every pod of the mock vLLM metrics server
    And the scaler's annotation "scale-up-cooldown" is "1m"
    And the desired replicas stay at 1 for 1 minute
    When GPU cache usage rises to 100% on every pod of the mock vLLM metrics server
    Then the desired replicas hold for 50 seconds
    And the desired replicas then rise within 20 seconds

  Scenario: An annotation's scale-down cooldown of 2 minutes holds a scale-down that long
    Given the scaler's annotation "scale-down-cooldown" is "2m"
    And the desired replicas have reached at least 4 within 3 minutes
    When GPU cache usage falls to 20% on every pod of the mock vLLM metrics server
    Then the desired replicas hold for 110 seconds
    And the desired replicas then fall within 30 seconds

  # Known gap: the controller divides the tolerance by 100, so 0.3 is a band of
  # 0.3% and a load 21% above the target scales up.
  @known-gap @quirk.tolerance-as-percent
  Scenario: An annotation's scale-up tolerance of 0.3 leaves a load within 30% above the target alone
    Given the scaler's annotation "scale-up-tolerance" is "0.3"
    And GPU cache usage is 85% on every pod of the mock vLLM metrics server
    And the desired replicas stay at 1 for 90 seconds
    When GPU cache usage rises to 100% on every pod of the mock vLLM metrics server
    Then the desired replicas rise above 1 within 1 minute

  # Known gap: the controller never reads the scale-down tolerance (it applies
  # the scale-up one both ways, divided by 100), so a load 43% under the target
  # scales down.
  @known-gap @quirk.scale-down-tolerance-unused @quirk.tolerance-as-percent
  Scenario: An annotation's scale-down tolerance of 0.5 leaves a load within half the target alone
    Given the scaler's annotation "scale-down-tolerance" is "0.5"
    And the desired replicas have reached at least 4 within 3 minutes
    When GPU cache usage falls to 40% on every pod of the mock vLLM metrics server
    Then the desired replicas hold for 2 minutes
    When GPU cache usage falls to 30% on every pod of the mock vLLM metrics server
    Then the desired replicas then fall within 2 minutes
