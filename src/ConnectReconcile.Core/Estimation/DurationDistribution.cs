using System.Globalization;

namespace ConnectReconcile.Core.Estimation;

/// <summary>How a duration distribution was given.</summary>
public enum DurationShape
{
    /// <summary>Every call lasts exactly the average.</summary>
    Fixed,
    /// <summary>Only an average is known: exponential (the maximum-entropy shape for a positive duration with a given mean).</summary>
    Exponential,
    /// <summary>Log-normal with the given average and σ (of the logarithm).</summary>
    LogNormal,
    /// <summary>A histogram: shares of calls in (from, upTo] seconds, uniform within a bucket.</summary>
    Buckets,
    /// <summary>Equally likely durations (a derived profile writes the means of 100 equal-count slices of the real calls).</summary>
    Sample,
}

/// <summary>One histogram bucket: <see cref="Share"/> of the calls last more than <see cref="From"/> and at most <see cref="UpTo"/> seconds.</summary>
public readonly record struct DurationBucket(double From, double UpTo, double Share);

/// <summary>
/// A distribution of durations in seconds. Estimates never price an average: every distribution is
/// cut into N equally likely slices, each represented by the mean of its slice (rounded to whole
/// seconds, largest remainder first, so the N values keep the distribution's mean), and every one
/// of those synthetic calls is rated with its own minimums. That is why a 40 s average IVR call is
/// billed at more than 40 s of telephony: most such calls are under the 60 s minimum.
/// </summary>
public sealed class DurationDistribution
{
    private readonly double[] _sample;
    private readonly double[] _prefix;
    private readonly DurationBucket[] _buckets;

    private DurationDistribution(DurationShape shape, double average, double sigma, DurationBucket[] buckets, double[] sample)
    {
        Shape = shape;
        Average = average;
        Sigma = sigma;
        _buckets = buckets;
        _sample = sample;
        _prefix = new double[sample.Length + 1];
        for (var i = 0; i < sample.Length; i++)
        {
            _prefix[i + 1] = _prefix[i] + sample[i];
        }
    }

    public DurationShape Shape { get; }

    /// <summary>The mean duration in seconds.</summary>
    public double Average { get; }

    /// <summary>σ of ln(duration) for <see cref="DurationShape.LogNormal"/>.</summary>
    public double Sigma { get; }

    public IReadOnlyList<DurationBucket> Buckets => _buckets;

    /// <summary>The equally likely values of a <see cref="DurationShape.Sample"/>, sorted.</summary>
    public IReadOnlyList<double> Sample => _sample;

    public static DurationDistribution Fixed(double seconds) =>
        new(DurationShape.Fixed, CheckSeconds(seconds, "duration"), 0, [], []);

    public static DurationDistribution Exponential(double average) =>
        new(DurationShape.Exponential, CheckSeconds(average, "average"), 0, [], []);

    public static DurationDistribution LogNormal(double average, double sigma)
    {
        if (!(average > 0))
        {
            throw new FormatException("A log-normal average must be more than 0 seconds.");
        }

        if (!(sigma > 0 && sigma < 5))
        {
            throw new FormatException($"A log-normal σ must be between 0 and 5, found {sigma.ToString(CultureInfo.InvariantCulture)}.");
        }

        return new(DurationShape.LogNormal, CheckSeconds(average, "average"), sigma, [], []);
    }

    /// <summary>A histogram. Shares are normalised to sum to 1; buckets must be ordered and not overlap.</summary>
    public static DurationDistribution FromBuckets(IEnumerable<DurationBucket> buckets)
    {
        var list = buckets.ToArray();
        if (list.Length == 0)
        {
            throw new FormatException("A bucket distribution needs at least one bucket.");
        }

        var total = list.Sum(b => b.Share);
        if (!(total > 0) || list.Any(b => b.Share < 0 || double.IsNaN(b.Share)))
        {
            throw new FormatException("Bucket shares must be zero or more and not all zero.");
        }

        for (var i = 0; i < list.Length; i++)
        {
            if (list[i].From < 0 || list[i].UpTo < list[i].From || (i > 0 && list[i].From < list[i - 1].UpTo))
            {
                throw new FormatException($"Bucket {i + 1} ({list[i].From.ToString(CultureInfo.InvariantCulture)}..{list[i].UpTo.ToString(CultureInfo.InvariantCulture)} s) is out of order or overlaps the one before.");
            }
        }

        var normalised = list.Select(b => b with { Share = b.Share / total }).ToArray();
        var average = normalised.Sum(b => b.Share * (b.From + b.UpTo) / 2);
        return new(DurationShape.Buckets, average, 0, normalised, []);
    }

    /// <summary>Equally likely durations (any order; kept sorted).</summary>
    public static DurationDistribution FromSample(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            throw new FormatException("A sample needs at least one duration.");
        }

        foreach (var v in sorted)
        {
            CheckSeconds(v, "duration");
        }

        Array.Sort(sorted);
        return new(DurationShape.Sample, sorted.Average(), 0, [], sorted);
    }

    /// <summary>
    /// The empirical distribution of observed durations, compressed to at most <paramref name="slices"/>
    /// equally likely values (the mean of each equal-count slice; whole seconds whose total equals the
    /// observed total, so the average is kept exactly).
    /// </summary>
    public static DurationDistribution FromObservations(IReadOnlyCollection<long> observed, int slices = 100)
    {
        if (observed.Count == 0)
        {
            throw new ArgumentException("No observations.", nameof(observed));
        }

        var raw = FromSample(observed.Select(v => (double)v));
        return observed.Count <= slices ? raw : FromSample(raw.Quantize(slices).Select(v => (double)v));
    }

    /// <summary>The share of calls shorter than <paramref name="seconds"/> (those a minimum of that length tops up).</summary>
    public double ShareBelow(double seconds)
    {
        switch (Shape)
        {
            case DurationShape.Fixed:
                return Average < seconds ? 1 : 0;
            case DurationShape.Exponential:
                return Average <= 0 ? 1 : 1 - Math.Exp(-seconds / Average);
            case DurationShape.LogNormal:
            {
                var mu = Math.Log(Average) - Sigma * Sigma / 2;
                return seconds <= 0 ? 0 : Normal.Cdf((Math.Log(seconds) - mu) / Sigma);
            }

            case DurationShape.Buckets:
            {
                var share = 0.0;
                foreach (var b in _buckets)
                {
                    if (seconds > b.UpTo)
                    {
                        share += b.Share;
                    }
                    else if (seconds > b.From)
                    {
                        share += b.Share * (seconds - b.From) / Math.Max(1e-9, b.UpTo - b.From);
                    }
                }

                return share;
            }

            default:
                return (double)_sample.Count(v => v < seconds) / _sample.Length;
        }
    }

    /// <summary>
    /// N equally likely whole-second durations: slice j is the conditional mean of the distribution
    /// between its j/N and (j+1)/N quantiles. Rounded by largest remainder so that the N values sum
    /// to N × the mean (to the nearest second), sorted ascending.
    /// </summary>
    public int[] Quantize(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);

        var means = new double[n];
        var previous = 0.0;
        for (var j = 0; j < n; j++)
        {
            var next = PartialExpectation((j + 1.0) / n);
            means[j] = Math.Max(0, (next - previous) * n);
            previous = next;
        }

        var target = (long)Math.Round(means.Sum(), MidpointRounding.AwayFromZero);
        var result = means.Select(m => (long)Math.Floor(m)).ToArray();
        var missing = target - result.Sum();
        foreach (var j in Enumerable.Range(0, n).OrderByDescending(j => means[j] - Math.Floor(means[j])).ThenBy(j => j).Take((int)Math.Clamp(missing, 0, n)))
        {
            result[j]++;
        }

        var ints = result.Select(v => (int)Math.Min(int.MaxValue, v)).ToArray();
        Array.Sort(ints);
        return ints;
    }

    /// <summary>∫₀ᵘ Q(v) dv, where Q is the quantile function: the mean contributed by the shortest u of the calls.</summary>
    private double PartialExpectation(double u)
    {
        u = Math.Clamp(u, 0, 1);
        switch (Shape)
        {
            case DurationShape.Fixed:
                return Average * u;
            case DurationShape.Exponential:
                return u >= 1 ? Average : Average * (u + (1 - u) * Math.Log(1 - u));
            case DurationShape.LogNormal:
                return u >= 1 ? Average : u <= 0 ? 0 : Average * Normal.Cdf(Normal.InverseCdf(u) - Sigma);
            case DurationShape.Buckets:
            {
                var total = 0.0;
                var left = u;
                foreach (var b in _buckets)
                {
                    if (left <= 0)
                    {
                        break;
                    }

                    var take = Math.Min(left, b.Share);
                    if (b.Share > 0)
                    {
                        var f = take / b.Share;
                        var upper = b.From + f * (b.UpTo - b.From);
                        total += take * (b.From + upper) / 2;
                    }

                    left -= take;
                }

                return total;
            }

            default:
            {
                var m = _sample.Length;
                var position = u * m;
                var whole = (int)Math.Min(m, Math.Floor(position));
                var total = _prefix[whole] + (whole < m ? (position - whole) * _sample[whole] : 0);
                return total / m;
            }
        }
    }

    /// <summary>A one-line description for the printed assumptions.</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var shape = Shape switch
        {
            DurationShape.Fixed => "every call the same length",
            DurationShape.Exponential => "exponential (only the average given)",
            DurationShape.LogNormal => string.Create(c, $"log-normal, σ {Sigma:0.##}"),
            DurationShape.Buckets => $"histogram of {_buckets.Length} buckets",
            _ => $"{_sample.Length} equally likely durations",
        };
        return string.Create(c, $"average {Average:0.#} s, {shape}; {ShareBelow(60) * 100:0.#} % under 60 s, {ShareBelow(10) * 100:0.#} % under 10 s");
    }

    private static double CheckSeconds(double seconds, string what)
    {
        if (double.IsNaN(seconds) || seconds < 0 || seconds > 7 * 86400)
        {
            throw new FormatException($"A {what} must be between 0 and 604800 seconds, found {seconds.ToString(CultureInfo.InvariantCulture)}.");
        }

        return seconds;
    }
}
