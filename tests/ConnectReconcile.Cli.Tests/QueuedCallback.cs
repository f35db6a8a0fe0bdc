namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// A two-minute inbound call on 2026-10-07 whose customer asked for a callback as it ended, and the callback, dialled and
/// delivered in a later hour: each in its Firehose arrival-hour folder. Dialled past the look-ahead, the callback changes
/// a day already written.
/// </summary>
internal static class QueuedCallback
{
    private const string Common =
        "\"Channel\":\"VOICE\",\"InstanceARN\":\"arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-0000-0000-000000000001\"," +
        "\"CustomerEndpoint\":{\"Address\":\"+13125550111\",\"Type\":\"TELEPHONE_NUMBER\"},\"SystemEndpoint\":{\"Address\":\"+12065550100\",\"Type\":\"TELEPHONE_NUMBER\"}";

    /// <param name="ctr">The source folder.</param>
    /// <param name="dialledHour">The hour the callback was dialled (it lasts 5 minutes and arrives in that hour), e.g. <c>2026-10-08T09</c>.</param>
    public static void Write(string ctr, string dialledHour)
    {
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(ctr, "2026/10/07/10")).FullName, "part"),
            $$"""{"ContactId":"in-1",{{Common}},"InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-07T10:00:00Z","ConnectedToSystemTimestamp":"2026-10-07T10:00:00Z","DisconnectTimestamp":"2026-10-07T10:02:00Z","LastUpdateTimestamp":"2026-10-07T10:03:00Z"}""");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(ctr, dialledHour.Replace('-', '/').Replace('T', '/'))).FullName, "part"),
            $$"""{"ContactId":"cb-1","InitialContactId":"in-1","PreviousContactId":"in-1",{{Common}},"InitiationMethod":"CALLBACK","InitiationTimestamp":"2026-10-07T10:02:00Z","ConnectedToSystemTimestamp":"{{dialledHour}}:00:00Z","DisconnectTimestamp":"{{dialledHour}}:05:00Z","LastUpdateTimestamp":"{{dialledHour}}:06:00Z"}""");
    }
}
