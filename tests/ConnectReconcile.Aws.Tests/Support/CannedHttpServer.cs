using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ConnectReconcile.Aws.Tests.Support;

/// <summary>A request captured by <see cref="CannedHttpServer"/> (header names lower-cased).</summary>
public sealed record CapturedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

public sealed record CannedResponse(int Status, string Body, string ContentType = "application/x-amz-json-1.1", IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 that records requests and answers from a script. Used where no
/// local server exists (DynamoDB) or a behaviour cannot be provoked (Kinesis NextToken, throttling).
/// </summary>
public sealed class CannedHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<CapturedRequest, CannedResponse> _respond;
    private readonly List<CapturedRequest> _requests = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public CannedHttpServer(Func<CapturedRequest, CannedResponse> respond)
    {
        _respond = respond;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<CapturedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
            // stopping
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            while (true)
            {
                var data = new MemoryStream();
                var buffer = new byte[8192];
                int headEnd;
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    data.Write(buffer, 0, n);
                    headEnd = data.GetBuffer().AsSpan(0, (int)data.Length).IndexOf("\r\n\r\n"u8);
                    if (headEnd >= 0)
                    {
                        break;
                    }
                }

                var all = data.ToArray();
                var lines = Encoding.Latin1.GetString(all, 0, headEnd).Split("\r\n");
                var first = lines[0].Split(' ');
                var headers = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                    }
                }

                var length = headers.TryGetValue("content-length", out var cl) ? int.Parse(cl, System.Globalization.CultureInfo.InvariantCulture) : 0;
                var body = new MemoryStream();
                body.Write(all, headEnd + 4, all.Length - headEnd - 4);
                while (body.Length < length)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    body.Write(buffer, 0, n);
                }

                var request = new CapturedRequest(first[0], first[1], headers, body.ToArray());
                lock (_requests)
                {
                    _requests.Add(request);
                }

                var response = _respond(request);
                var payload = Encoding.UTF8.GetBytes(response.Body);
                var head = new StringBuilder()
                    .Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(response.Status < 400 ? "OK" : "Error").Append("\r\n")
                    .Append("Content-Type: ").Append(response.ContentType).Append("\r\n")
                    .Append("Content-Length: ").Append(payload.Length).Append("\r\n")
                    .Append("x-amzn-RequestId: canned-").Append(_requests.Count).Append("\r\n");
                foreach (var (k, v) in response.Headers ?? new Dictionary<string, string>())
                {
                    head.Append(k).Append(": ").Append(v).Append("\r\n");
                }

                head.Append("\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
                await stream.WriteAsync(payload, _stop.Token);
            }
        }
        catch (Exception)
        {
            // client went away or server stopping
        }
    }
}
