using ConnectReconcile.Core.Estimation;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Estimation;

/// <summary>A profile derived from real CTRs, and the replay of those CTRs it was measured on.</summary>
/// <param name="ModelsUsed">The pricing models the replay's charges used, most first (more than one: a switch the profile cannot carry).</param>
/// <param name="RowsUsed">Rate rows that priced the replay's chains, with their cost.</param>
public sealed record DerivedProfile(VolumeProfile Profile, JobResult Replay, IReadOnlyList<string>? ModelsUsed = null, IReadOnlyDictionary<string, decimal>? RowsUsed = null)
{
    /// <summary>What the replay rated (unrated charges count zero, as in every summary).</summary>
    public decimal ReplayCost => Replay.Totals.ByKind.Values.Sum(t => t.Cost);
}

/// <summary>
/// <c>estimate --from-ctrs</c>: rates the CTRs with the billing job (nothing written) and measures
/// every rated chain with <see cref="ProfileBuilder"/>, so the profile's durations add up to the
/// legs the replay billed.
/// </summary>
public static class ProfileDeriver
{
    public static async Task<DerivedProfile> DeriveAsync(BillingJobOptions options, string? name, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var builder = new ProfileBuilder(options.Rater.Policy);
        var job = new BillingJob(options with
        {
            Output = null,
            OnDayRated = (day, results, extra) =>
            {
                builder.AddDay(day);
                foreach (var result in results)
                {
                    builder.Add(result);
                }

                foreach (var charge in extra)
                {
                    builder.Add(charge);
                }

                options.OnDayRated?.Invoke(day, results, extra);
            },

            // The builder can start over; a caller's own consumer only if it says it can.
            OnRestart = options.OnDayRated is not null && options.OnRestart is null ? null : () =>
            {
                builder = new ProfileBuilder(options.Rater.Policy);
                options.OnRestart?.Invoke();
            },
        });
        var replay = await job.RunAsync(progress, cancellationToken).ConfigureAwait(false);
        if (replay.Counts.Chains == 0 && replay.Counts.NonVoice == 0)
        {
            var unreadable = QuarantineEntry.UnreadableObjects(replay.Quarantined).Count;
            throw new NothingToReadException("The source holds no contact records to derive a profile from" +
                (options.From is not null || options.To is not null ? " in the range given" : "") +
                (unreadable > 0 ? $" that could be read: {unreadable} input object(s) could not be (check their permissions or the connection)." : "."));
        }

        return new DerivedProfile(builder.Build(name, BuiltInRateCards.Regions[0]), replay, builder.ModelsUsed.Select(m => m.Model).ToList(), builder.RowsUsed);
    }
}
