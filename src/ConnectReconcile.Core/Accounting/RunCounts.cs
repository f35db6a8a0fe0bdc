namespace ConnectReconcile.Core.Accounting;

/// <summary>
/// What happened to every record a run read. The identity
/// <c>Read = Rated + Superseded + Quarantined + NonVoice + OutOfRange</c> always holds; <see cref="Check"/>
/// proves it. OutOfRange is 0 for a full replay; a dated run (nightly) reads neighbouring hours and
/// counts the records of chains that belong to other days there.
/// </summary>
public sealed record RunCounts
{
    public required long Read { get; init; }
    /// <summary>Unique voice records that were rated (in chains).</summary>
    public required long Rated { get; init; }
    public required long Superseded { get; init; }
    public required long Quarantined { get; init; }
    /// <summary>Unique non-voice records (chat, task, email): counted, rated per unit where the card has a row.</summary>
    public required long NonVoice { get; init; }
    /// <summary>Unique records whose chain belongs to a day outside the requested range.</summary>
    public long OutOfRange { get; init; }
    public required IReadOnlyDictionary<string, long> QuarantinedByReason { get; init; }
    public required long Chains { get; init; }
    public required long Orphans { get; init; }

    public bool AddsUp => Read == Rated + Superseded + Quarantined + NonVoice + OutOfRange
                          && QuarantinedByReason.Values.Sum() == Quarantined;

    public void Check()
    {
        if (!AddsUp)
        {
            throw new InvalidOperationException(
                $"Run counts do not add up: read {Read} ≠ rated {Rated} + superseded {Superseded} + quarantined {Quarantined} + non-voice {NonVoice} + out of range {OutOfRange}.");
        }
    }
}
