@cost
Feature: Cost-aware scaling
  BudAIScaler prices its replicas and holds them to a budget: per hour, or per
  day (a 24th of it per hour), at spot or on-demand prices. A scale-up goes only
  as far as the budget pays for; when the budget rises the replicas follow. The
  budget has the last word, also over the minimum replicas. What the replicas
  cost is reported in the scaler's status.

  The scaler "cost-aware-scaler" (configs/cost-test.yaml) scales the inference
  simulator between 1 and 10 replicas on its GPU KV-cache usage (the simulator
  serves no requests here), on a budget of $3 per hour at spot prices. BudAIScaler
  prices every replica as an AWS g5.xlarge: $0.31 per hour at spot, $1.02 on
  demand; it names no instance type that GCP or Azure price. Schedule hints ask
  for the replicas here, a floor the budget must hold.

  Background:
    Given the inference simulator is running

  Scenario: The budget holds a scale-up and releases it when it rises
    Given the scaler configured in "cost-test" is applied with these settings
      | setting              | value               |
      | schedule hint "peak" | 10 replicas all day |
    Then the desired replicas reach 9 within 1 minute
    And the desired replicas stay at 9 for 1 minute
    When the scaler's settings change to
      | setting         | value |
      | budget per hour | $4    |
    Then the desired replicas reach 10 within 1 minute

  Scenario: Spot prices buy more replicas than on-demand prices
    Given the scaler configured in "cost-test" is applied with these settings
      | setting              | value               |
      | schedule hint "peak" | 10 replicas all day |
    And the desired replicas have reached 9 within 1 minute
    When the scaler's settings change to
      | setting   | value     |
      | instances | on-demand |
    Then the desired replicas fall to 2 within 2 minutes

  # Known gap: the controller ignores budgetPerDay.
  @known-gap @quirk.budget-per-day-ignored
  Scenario: A daily budget holds the replicas to a 24th of it per hour
    Given the scaler configured in "cost-test" is applied with these settings
      | setting              | value               |
      | budget per hour      | none                |
      | budget per day       | $48                 |
      | schedule hint "peak" | 10 replicas all day |
    Then the desired replicas reach 6 within 1 minute
    And the desired replicas stay at 6 for 1 minute

  # Known gap: the controller applies the budget before the minimum replicas.
  @known-gap @quirk.cost-before-clamp
  Scenario: The budget has the last word over the minimum replicas
    Given the scaler configured in "cost-test" is applied with these settings
      | setting          | value |
      | minimum replicas | 5     |
      | budget per hour  | $1    |
    Then the desired replicas reach 3 within 1 minute
    And the desired replicas stay at 3 for 1 minute

  # Known gap: with cost on and no budget the controller holds the workload at 1 replica.
  @known-gap @quirk.cost-without-budget-caps
  Scenario: Without a budget, cost holds nothing back
    Given the scaler configured in "cost-test" is applied with these settings
      | setting              | value              |
      | budget per hour      | none               |
      | schedule hint "peak" | 5 replicas all day |
    Then the desired replicas reach 5 within 1 minute
    And the desired replicas stay at 5 for 1 minute

  # Known gap: the controller prices a replica as the current cost over the
  # current replicas, which at 0 replicas is no number, and then holds nothing
  # back: the hint's 5 replicas go out before the budget brings them down to 3.
  @known-gap @quirk.cost-nan-at-zero-replicas
  Scenario: From zero replicas a schedule hint is still held to the budget
    Given the inference deployment runs 0 replicas
    And the scaler configured in "cost-test" is applied with these settings
      | setting              | value              |
      | minimum replicas     | 0                  |
      | budget per hour      | $1                 |
      | schedule hint "peak" | 5 replicas all day |
    Then the desired and deployed replicas stay between 0 and 3 for 2 minutes
    And the desired replicas reach 3 within 1 minute

  # The scaler goes on scaling on the load as if there were no budget, and says so
  # (also as a Warning event, BudgetNotApplied). Known gap: the controller drops
  # the budget without a word.
  @known-gap @quirk.cost-unpriced-silently
  Scenario: A budget that cannot be priced is said to be not applied
    Given the scaler configured in "cost-test" is applied with these settings
      | setting              | value              |
      | cloud provider       | gcp                |
      | schedule hint "peak" | 5 replicas all day |
    Then the desired replicas reach 5 within 1 minute
    And the scaling history says the budget is not applied as there is no price for its replicas on gcp

  # Known gap: the controller never writes status.costStatus.
  @known-gap @quirk.cost-status-never-written
  Scenario: The scaler reports what its replicas cost
    Given the scaler configured in "cost-test" is applied with these settings
      | setting              | value               |
      | schedule hint "peak" | 10 replicas all day |
    Then the scaler reports an hourly cost of $2.79 for 9 spot replicas, 93% of its budget, within 1 minute
