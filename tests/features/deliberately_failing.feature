Feature: A deliberately failing scenario
  Not part of the spec: the report's tests run it to see what a failure leaves
  behind (the wait's last observation, the diagnostics) and that no secret does.

  Scenario: Waiting for more replicas than the scaler may have
    Given the inference simulator is running
    And GPU cache usage is 85% on every inference pod
    And the scaler configured in "basic-test" is applied
    Then the desired replicas reach 7 within 2 minutes
