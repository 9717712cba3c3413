@lifecycle
Feature: A scaler's record of what it did, and its end
  BudAIScaler keeps the last ten scales it made in its status, oldest first, each
  with the replicas before and after and why, and the time of the newest. A scaler
  allowed down to zero replicas takes an idle workload to zero. Deleting a scaler
  takes with it what it made: its learning data.

  The scaler "llm-inference-scaler" (configs/basic-test.yaml) targets 70% GPU cache
  usage with 1 to 5 replicas.

  Background:
    Given the inference simulator is running
    And GPU cache usage is 30% on every inference pod
    And the scaler configured in "basic-test" is applied

  Scenario: The scaling history keeps the last ten scales, oldest first
    Given the scaler is Ready
    And the scaler's stabilization windows are 0 seconds
    When GPU cache usage rises to 100% on every inference pod
    And the desired replicas have reached 5 within 2 minutes
    And GPU cache usage falls to 10% on every inference pod
    And the desired replicas have reached 1 within 2 minutes
    And GPU cache usage rises to 100% on every inference pod
    And the desired replicas have reached 5 within 2 minutes
    And GPU cache usage falls to 10% on every inference pod
    And the desired replicas have reached 1 within 2 minutes
    Then the scaling history holds the last 10 scales, oldest first, each starting where the one before ended
    And the newest scale in the scaling history is the one to 1 replica
    And the scaler's last scale time is that of its newest scale

  # Known gap: the controller never recommends fewer than one replica, whatever
  # minReplicas says, so an idle workload keeps a pod.
  @known-gap @quirk.never-scales-to-zero
  Scenario: A scaler allowed down to zero takes an idle workload to zero
    Given the scaler allows between 0 and 5 replicas
    When GPU cache usage falls to 0% on every inference pod
    Then the inference deployment runs no pods within 3 minutes

  Scenario: A deleted scaler goes, and the workload keeps its replicas
    Given GPU cache usage is 85% on every inference pod
    And the desired replicas have risen above 1 within 90 seconds
    When the scaler is deleted
    Then the scaler is gone within 30 seconds
    And the inference deployment keeps its replicas for 1 minute

  # Known gap: the controller never writes its learning data, so there is no
  # ConfigMap to see go with the scaler.
  @known-gap @quirk.learning-never-persisted
  Scenario: Deleting the scaler deletes its learning data
    Given the scaler is Ready
    And the scaler learns from what it sees
    And the scaler's learning data is saved in its ConfigMap within 6 minutes
    When the scaler is deleted
    Then the scaler is gone within 30 seconds
    And its learning data is gone within 30 seconds
