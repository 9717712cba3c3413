@metric-sources
Feature: Where a scaler reads its metrics
  BudAIScaler reads each metric source the way its type says: a pod or inference
  engine source from every ready pod, in Prometheus text or JSON; a resource source
  from the cluster's resource metrics (CPU or memory as a share of what the pods
  request, or the amount used where they request none); a
  custom source from the cluster's custom metrics of each pod; a prometheus source
  from the answer to its query; with the HPA strategy, an external source is read by
  the scaler's HorizontalPodAutoscaler from the cluster's external metrics. With several sources it scales to what the most
  demanding of them asks for.

  The scaler "mock-metrics-scaler" (configs/mock-test.yaml) scales the mock vLLM
  metrics server (1 to 5 replicas, each pod requesting half a CPU) on the GPU cache
  usage its pods serve. On a real cluster the resource source needs metrics-server
  and the custom source an adapter serving the pods' vllm_num_requests_waiting; the
  external source an adapter serving vllm_num_requests_waiting summed over the namespace.

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

  @use.with_metrics_api=served
  Scenario: CPU read from the cluster's resource metrics as a resource source
    Given the scaler reads CPU as a resource source, against a target of 50% of the requested CPU
    And CPU usage is 30% of the requested CPU on every inference pod
    And the desired replicas stay at 1 for 20 seconds
    When CPU usage rises to 150% of the requested CPU on every inference pod
    Then the desired replicas rise above 1 within 60 seconds

  # The pods request no memory, so the resource source reads the bytes each pod uses.
  @use.with_metrics_api=served
  Scenario: Memory read from the cluster's resource metrics as a resource source
    Given the scaler reads memory as a resource source, against a target of 64 MiB
    And memory use is 16 MiB on every inference pod
    And the desired replicas stay at 1 for 20 seconds
    When memory use rises to 160 MiB on every inference pod
    Then the desired replicas rise above 1 within 60 seconds

  # Known gap: the controller reads custom sources through the resource metrics
  # API, which knows only CPU and memory, so a pod's own metric is never read.
  @known-gap @quirk.custom-uses-resource-fetcher @use.with_custom_metrics_api=served
  Scenario: Requests waiting read from the cluster's custom metrics as a custom source
    Given the scaler reads the requests waiting on each pod from the custom metrics API, against a target of 10
    And the desired replicas stay at 1 for 20 seconds
    When 40 requests are waiting on every inference pod
    Then the desired replicas rise above 1 within 60 seconds

  Scenario: The answer to a Prometheus query read as a prometheus source
    Given the Prometheus server is running
    And Prometheus reports 5 requests waiting in total
    And the scaler reads the requests waiting in total from Prometheus, against a target of 10
    And the desired replicas stay at 1 for 20 seconds
    When Prometheus reports 40 requests waiting in total
    Then the desired replicas rise above 1 within 60 seconds

  # The HorizontalPodAutoscaler divides the external metric's one value (here the
  # requests waiting on every pod together) by the target, as Kubernetes documents.
  @use.with_external_metrics_api=served
  Scenario: Requests waiting in total read from the cluster's external metrics by the scaler's HorizontalPodAutoscaler
    Given the scaler hands its workload to a HorizontalPodAutoscaler on the requests waiting in total, an external metric, against a target of 10
    And 5 requests are waiting on every inference pod
    And the desired replicas have reached 1 within 45 seconds
    And the desired replicas stay at 1 for 30 seconds
    When 40 requests are waiting on every inference pod
    Then the desired replicas rise above 1 within 60 seconds
