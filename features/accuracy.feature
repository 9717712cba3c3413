@accuracy
Feature: Prediction accuracy
  BudAIScaler predicts how many replicas it will need one look-ahead period
  ahead and reports how right it turned out: MAE, MAPE and direction accuracy.
  This feature drives a known traffic trace, records what the scaler predicted
  and what the Deployment then ran, computes the same measures itself in the
  controller's own windows (MAE and MAPE as EWMAs with alpha 0.1, direction
  accuracy since the last calibration), holds them to the controller's own
  accuracy targets (MAPE at most 20%, direction accuracy at least 85%) and
  checks that the scaler reports what the suite measured.
  The table, a CSV of the series and a plot of predicted against actual replicas
  are saved with the run's artifacts.

  The scaler "accuracy-test-scaler" (configs/accuracy-test.yaml) scales the
  learning metrics server between 1 and 20 replicas on GPU cache usage (target
  70%), predicting 5 minutes ahead. The traffic is a GPU cache demand shared by
  the pods: 300% keeps three pods full, or five pods at 60%.

  Background:
    Given the learning metrics server is running
    And GPU cache usage is 40% on every inference pod
    And the scaler configured in "accuracy-test" is applied
    And the scaler is Ready
    And the scaler's predictions are being recorded

  # Known gap: the controller never writes status.predictionStatus, so what it
  # predicted cannot be seen from outside and the accuracy cannot be measured;
  # and it reports the direction accuracy as the overall accuracy.
  @known-gap @quirk.prediction-status-never-written @quirk.direction-accuracy-is-overall
  Scenario Outline: Accuracy over a <length> traffic trace
    When the GPU cache demand, shared by the inference pods, follows this trace, <phase> per phase
      | phase     | demand                 |
      | steady    | 50%                    |
      | ramp-up   | 50% rising to 300%     |
      | busy      | 300%                   |
      | ramp-down | 300% falling to 80%    |
      | quiet     | 80%                    |
    And predictions are recorded for another <tail>
    Then the measured prediction accuracy meets
      | measure            | bound    | limit |
      | recent MAE         | at most  | 0.5   |
      | recent MAPE        | at most  | 20%   |
      | direction accuracy | at least | 85%   |
    And the accuracy the scaler reports agrees with the measured accuracy
      | measure            | within     |
      | recent MAE         | 0.25       |
      | recent MAPE        | 5 points   |
      | direction accuracy | 10 points  |
    And the reported overall accuracy weighs the recent MAPE and the direction accuracy equally
    And the accuracy report is saved as a table, a CSV file and a plot

    @quick
    Examples: the old suite's --quick
      | length | phase     | tail       |
      | short  | 3 minutes | 6 minutes  |

    @full
    Examples: the old suite's --full
      | length | phase     | tail       |
      | long   | 6 minutes | 10 minutes |
