"""95% intervals of success rates that stay in the possible range, from statsmodels (the
'sweep' extra): a rate's Wilson score interval, a difference's Newcombe hybrid score interval."""

from experiments import extras


def _proportion():
  return extras.require("statsmodels.stats.proportion", "sweep", "Proportion intervals")


def rate_interval(successes: int, n: int) -> tuple[float, float]:
  """The 95% Wilson score interval of `successes` out of `n`, within [0, 1]."""
  low, high = _proportion().proportion_confint(successes, n, alpha=0.05, method="wilson")
  return float(low), float(high)


def difference_interval(successes_b: int, n_b: int, successes_a: int, n_a: int):
  """The 95% interval of rate b minus rate a (Newcombe's hybrid score), within [-1, 1]."""
  low, high = _proportion().confint_proportions_2indep(
    successes_b, n_b, successes_a, n_a, method="newcomb", compare="diff"
  )
  return float(low), float(high)
