using ConnectReconcile.Aws.Checkpoints;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>Kinesis sequence numbers are decimal integers of up to 128 bits, sent as strings: compare them numerically.</summary>
public static class SequenceNumbers
{
    public static IComparer<string> Comparer { get; } = Comparer<string>.Create(Compare);

    public static int Compare(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        var x = a.AsSpan().TrimStart('0');
        var y = b.AsSpan().TrimStart('0');
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : x.SequenceCompareTo(y);
    }

    /// <summary>The later of two positions, where <see cref="CheckpointStore.ShardEnd"/> is after every sequence number.</summary>
    public static bool IsAfter(string? position, string? other)
    {
        if (position is null)
        {
            return false;
        }

        if (other is null)
        {
            return true;
        }

        if (position == CheckpointStore.ShardEnd)
        {
            return other != CheckpointStore.ShardEnd;
        }

        return other != CheckpointStore.ShardEnd && Compare(position, other) > 0;
    }
}
