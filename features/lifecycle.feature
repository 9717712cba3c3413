@lifecycle
Feature: A scaler's record of what it did, and its end
  BudAIScaler keeps the last ten scales it made in its status, oldest first, each
  with the replicas before and after and why, and the time of the newest. Its
  actual replicas are the pods ready to serve, not those it asked for nor those
  still starting. It scales a StatefulSet as it scales a Deployment, through the
  target's scale subresource. A scaler
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

  # Known gap: the controller reports its recommendation as the actual replicas,
  # so a pod still loading its model counts as serving.
  @known-gap @quirk.actual-scale-is-recommendation
  Scenario: The actual replicas are the pods ready to serve, not those asked for nor those starting
    Given new inference pods take 2 minutes to become ready
    And GPU cache usage is 85% on every inference pod
    And the desired replicas have reached 2 within 90 seconds
    When GPU cache usage is 70% on every inference pod
    Then the scaler reports 1 actual replica while it asks for 2 for 1 minute
    And the scaler reports 2 actual replicas within 90 seconds

  Scenario: A StatefulSet is scaled as a deployment is
    Given the inference simulator StatefulSet is running
    And GPU cache usage is 30% on every inference pod
    When the scaler targets the StatefulSet "llm-inference-sts"
    And GPU cache usage rises to 85% on every inference pod
    Then the desired replicas rise above 1 within 90 seconds
    And the inference StatefulSet follows the desired replicas within 2 minutes
    And the scaler reports as many actual replicas as desired within 30 seconds
