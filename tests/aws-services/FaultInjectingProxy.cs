// A fault-injecting HTTP/1.1 proxy for tests, on 127.0.0.1 in front of a local server (s3rver).
// Link into a test project with <Compile Include="..\aws-services\*.cs" LinkBase="aws-services" />.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ConnectReconcile.TestServices;

/// <summary>What the proxy did to one request.</summary>
public enum InjectedFault
{
    None,

    /// <summary>Answered 503 SlowDown without forwarding.</summary>
    SlowDown,

    /// <summary>Forwarded, then reset the client connection part-way through the response body.</summary>
    ResetMidBody,

    /// <summary>Answered <see cref="FaultProxyOptions.FailWith"/>'s status without forwarding.</summary>
    Failed,

    /// <summary>Read the request and never answered (<see cref="FaultProxyOptions.HangWhen"/>): no status line, no headers.</summary>
    Hung,

    /// <summary>
    /// Forwarded, then answered with the status but half the body, the Content-Length saying so, and a
    /// multipart-style ETag (<c>"…-2"</c>), so no client can tell it from a smaller object (<see cref="FaultProxyOptions.ShortenWhen"/>).
    /// </summary>
    ShortBody,
}

/// <summary>A request seen by the proxy (headers lower-cased).</summary>
public sealed record ProxiedRequest(int Index, string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>Path without the query string, URL-decoded.</summary>
    public string Path => Uri.UnescapeDataString(Target.Split('?')[0]);

    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target[(Target.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty;

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    public InjectedFault Fault { get; internal set; }
}

public sealed class FaultProxyOptions
{
    /// <summary>Share (0..1) of eligible requests answered with 503 SlowDown.</summary>
    public double SlowDownShare { get; set; }

    /// <summary>Share (0..1) of eligible requests whose response body is cut by a connection reset.</summary>
    public double ResetShare { get; set; }

    /// <summary>Seed of the decision sequence: the same requests in the same order get the same faults.</summary>
    public int Seed { get; set; } = 12345;

    /// <summary>Upper bound on injected random faults (SlowDown + ResetMidBody); later requests pass.</summary>
    public int MaxFaults { get; set; } = int.MaxValue;

    /// <summary>Which requests random faults may hit (default: all).</summary>
    public Func<ProxiedRequest, bool>? Eligible { get; set; }

    /// <summary>Deterministic failures: return a status (e.g. 500) to answer a request with it instead of forwarding.</summary>
    public Func<ProxiedRequest, int?>? FailWith { get; set; }

    /// <summary>Requests never answered: the connection stays open and silent until the client gives up (or the proxy stops).</summary>
    public Func<ProxiedRequest, bool>? HangWhen { get; set; }

    /// <summary>Requests whose response is cut to half its body with a matching Content-Length (<see cref="InjectedFault.ShortBody"/>).</summary>
    public Func<ProxiedRequest, bool>? ShortenWhen { get; set; }
}

/// <summary>
/// Forwards each request to 127.0.0.1:<c>upstreamPort</c> on its own upstream connection
/// (<c>Connection: close</c>), and injects faults: 503 SlowDown for a share of requests, a TCP reset
/// part-way through the response body for another share, both decided by a seeded random sequence and
/// bounded by <see cref="FaultProxyOptions.MaxFaults"/>. Records every request for assertions.
/// </summary>
public sealed class FaultInjectingProxy : IAsyncDisposable
{
    private const int MaxHeadBytes = 64 * 1024;

    private readonly TcpListener _listener;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ProxiedRequest> _requests = [];
    private readonly Random _random;
    private readonly Task _acceptLoop;
    private int _faults;
    private int _nextIndex;

    public FaultInjectingProxy(int upstreamPort, FaultProxyOptions? options = null)
    {
        _upstreamPort = upstreamPort;
        Options = options ?? new FaultProxyOptions();
        _random = new Random(Options.Seed);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public FaultProxyOptions Options { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>While false, every request passes untouched (and consumes no random numbers).</summary>
    public bool Enabled { get; set; } = true;

    public IReadOnlyList<ProxiedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    public int Count(InjectedFault fault) => Requests.Count(r => r.Fault == fault);

    public void ClearLog()
    {
        lock (_requests)
        {
            _requests.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using var _ = client;
        client.NoDelay = true;
        var clientStream = client.GetStream();
        try
        {
            // One request per client connection: the forwarded request says Connection: close.
            var (head, leftover) = await ReadHeadAsync(clientStream, _stop.Token).ConfigureAwait(false);
            if (head is null)
            {
                return;
            }

            var request = ParseRequest(head);
            var fault = Decide(request);
            request.Fault = fault;
            if (fault == InjectedFault.Hung)
            {
                await DrainBodyAsync(clientStream, request, leftover).ConfigureAwait(false);
                // Silent until the client closes its side (a read of 0) or the proxy stops.
                while (await clientStream.ReadAsync(new byte[1024], _stop.Token).ConfigureAwait(false) > 0)
                {
                }

                return;
            }

            if (fault is InjectedFault.SlowDown or InjectedFault.Failed)
            {
                await DrainBodyAsync(clientStream, request, leftover).ConfigureAwait(false);
                var status = fault == InjectedFault.SlowDown ? 503 : Options.FailWith!(request)!.Value;
                var code = fault == InjectedFault.SlowDown ? "SlowDown" : "InternalError";
                var body = Encoding.UTF8.GetBytes(
                    $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>Injected by FaultInjectingProxy</Message><RequestId>proxy-{request.Index}</RequestId></Error>");
                var response = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {status} {code}\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await clientStream.WriteAsync(response, _stop.Token).ConfigureAwait(false);
                await clientStream.WriteAsync(body, _stop.Token).ConfigureAwait(false);
                return;
            }

            using var upstream = new TcpClient { NoDelay = true };
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token).ConfigureAwait(false);
            var upstreamStream = upstream.GetStream();
            await upstreamStream.WriteAsync(RewriteHead(head), _stop.Token).ConfigureAwait(false);
            if (leftover.Length > 0)
            {
                await upstreamStream.WriteAsync(leftover, _stop.Token).ConfigureAwait(false);
            }

            using var pumpStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var requestPump = PumpAsync(clientStream, upstreamStream, pumpStop.Token);
            try
            {
                if (fault == InjectedFault.ShortBody)
                {
                    await RelayShortAsync(upstreamStream, clientStream).ConfigureAwait(false);
                }
                else
                {
                    await RelayResponseAsync(upstreamStream, clientStream, client, request, fault == InjectedFault.ResetMidBody).ConfigureAwait(false);
                }
            }
            finally
            {
                await pumpStop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await requestPump.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The client side ends when we close it.
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (IOException)
        {
            // A client or upstream went away: nothing to do for a test proxy.
        }
        catch (SocketException)
        {
            // Same.
        }
    }

    private InjectedFault Decide(ProxiedRequest request)
    {
        lock (_requests)
        {
            _requests.Add(request);
            if (Options.FailWith?.Invoke(request) is not null)
            {
                return InjectedFault.Failed;
            }

            if (Options.HangWhen?.Invoke(request) == true)
            {
                return InjectedFault.Hung;
            }

            if (Options.ShortenWhen?.Invoke(request) == true)
            {
                return InjectedFault.ShortBody;
            }

            if (!Enabled || _faults >= Options.MaxFaults || !(Options.Eligible?.Invoke(request) ?? true))
            {
                return InjectedFault.None;
            }

            var roll = _random.NextDouble();
            if (roll < Options.SlowDownShare)
            {
                _faults++;
                return InjectedFault.SlowDown;
            }

            if (roll < Options.SlowDownShare + Options.ResetShare)
            {
                _faults++;
                return InjectedFault.ResetMidBody;
            }

            return InjectedFault.None;
        }
    }

    private async Task RelayResponseAsync(NetworkStream upstream, NetworkStream client, TcpClient clientSocket, ProxiedRequest request, bool reset)
    {
        while (true)
        {
            var (head, leftover) = await ReadHeadAsync(upstream, _stop.Token).ConfigureAwait(false);
            if (head is null)
            {
                return;
            }

            var text = Encoding.ASCII.GetString(head);
            var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
            await client.WriteAsync(head, _stop.Token).ConfigureAwait(false);
            if (status == 100)
            {
                if (leftover.Length > 0)
                {
                    // Rare: the final response arrived in the same read; relay it raw.
                    await client.WriteAsync(leftover, _stop.Token).ConfigureAwait(false);
                    break;
                }

                continue;
            }

            var length = ContentLength(text);
            if (reset && length is > 1 && request.Method != "HEAD")
            {
                var cut = 1 + (long)(NextDouble() * (length.Value - 1)); // 1..length-1 body bytes get through
                var sent = 0L;
                var first = (int)Math.Min(cut, leftover.Length);
                if (first > 0)
                {
                    await client.WriteAsync(leftover.AsMemory(0, first), _stop.Token).ConfigureAwait(false);
                    sent = first;
                }

                var buffer = new byte[64 * 1024];
                while (sent < cut)
                {
                    var n = await upstream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, cut - sent)), _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    await client.WriteAsync(buffer.AsMemory(0, n), _stop.Token).ConfigureAwait(false);
                    sent += n;
                }

                await client.FlushAsync(_stop.Token).ConfigureAwait(false);
                clientSocket.Client.LingerState = new LingerOption(true, 0);
                clientSocket.Client.Close(); // RST
                return;
            }

            if (reset)
            {
                request.Fault = InjectedFault.None; // nothing to cut (no body)
            }

            if (leftover.Length > 0)
            {
                await client.WriteAsync(leftover, _stop.Token).ConfigureAwait(false);
            }

            break;
        }

        // Connection: close upstream, so the body ends when upstream closes.
        await upstream.CopyToAsync(client, _stop.Token).ConfigureAwait(false);
    }

    /// <summary>The whole upstream response, relayed with half its body, a Content-Length of that half and a multipart-style ETag.</summary>
    private async Task RelayShortAsync(NetworkStream upstream, NetworkStream client)
    {
        var (head, leftover) = await ReadHeadAsync(upstream, _stop.Token).ConfigureAwait(false);
        if (head is null)
        {
            return;
        }

        var rest = new MemoryStream();
        rest.Write(leftover);
        await upstream.CopyToAsync(rest, _stop.Token).ConfigureAwait(false); // Connection: close upstream
        var body = rest.ToArray();
        var cut = body.Length / 2;
        var lines = Encoding.Latin1.GetString(head).Split("\r\n").Select(l =>
            l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase) ? $"Content-Length: {cut}"
            : l.StartsWith("etag:", StringComparison.OrdinalIgnoreCase) ? $"ETag: \"{l[5..].Trim().Trim('"')}-2\""
            : l);
        await client.WriteAsync(Encoding.Latin1.GetBytes(string.Join("\r\n", lines)), _stop.Token).ConfigureAwait(false);
        await client.WriteAsync(body.AsMemory(0, cut), _stop.Token).ConfigureAwait(false);
        await client.FlushAsync(_stop.Token).ConfigureAwait(false);
    }

    private double NextDouble()
    {
        lock (_requests)
        {
            return _random.NextDouble();
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DrainBodyAsync(Stream client, ProxiedRequest request, byte[] leftover)
    {
        if (string.Equals(request.Header("expect"), "100-continue", StringComparison.OrdinalIgnoreCase))
        {
            return; // the client waits for our final answer instead of sending the body
        }

        if (long.TryParse(request.Header("content-length"), out var length) && length > leftover.Length)
        {
            var remaining = length - leftover.Length;
            var buffer = new byte[64 * 1024];
            while (remaining > 0)
            {
                var n = await client.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                remaining -= n;
            }
        }
        else if (string.Equals(request.Header("transfer-encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            // Read until the terminating zero-size chunk and the blank line after trailers.
            var seen = new List<byte>(leftover);
            var buffer = new byte[16 * 1024];
            while (!EndsChunked(seen))
            {
                var n = await client.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                seen.AddRange(buffer.AsSpan(0, n));
            }
        }
    }

    private static bool EndsChunked(List<byte> data)
    {
        var text = Encoding.ASCII.GetString(data.ToArray());
        return text.StartsWith("0\r\n\r\n", StringComparison.Ordinal) || text.Contains("\r\n0\r\n\r\n", StringComparison.Ordinal)
            || System.Text.RegularExpressions.Regex.IsMatch(text, "(^|\r\n)0(;[^\r\n]*)?\r\n(.*\r\n)*\r\n$");
    }

    private ProxiedRequest ParseRequest(byte[] head)
    {
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
            }
        }

        return new ProxiedRequest(Interlocked.Increment(ref _nextIndex) - 1, parts[0], parts.Length > 1 ? parts[1] : "/", headers);
    }

    /// <summary>Forces Connection: close so each upstream connection carries one request.</summary>
    private static byte[] RewriteHead(byte[] head)
    {
        var lines = Encoding.Latin1.GetString(head).Split("\r\n").ToList();
        lines.RemoveAll(l => l.StartsWith("connection:", StringComparison.OrdinalIgnoreCase)
            || l.StartsWith("keep-alive:", StringComparison.OrdinalIgnoreCase));
        // head ends with "\r\n\r\n": the split leaves two empty strings at the end.
        lines.Insert(lines.Count - 2, "Connection: close");
        return Encoding.Latin1.GetBytes(string.Join("\r\n", lines));
    }

    private static long? ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(line.AsSpan(15).Trim(), out var length))
            {
                return length;
            }
        }

        return null;
    }

    /// <summary>Reads up to and including the blank line; returns the head and any bytes read past it.</summary>
    private static async Task<(byte[]? Head, byte[] Leftover)> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var data = new MemoryStream();
        while (true)
        {
            var n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return (null, []);
            }

            data.Write(buffer, 0, n);
            var bytes = data.GetBuffer().AsSpan(0, (int)data.Length);
            var end = bytes.IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (bytes[..(end + 4)].ToArray(), bytes[(end + 4)..].ToArray());
            }

            if (data.Length > MaxHeadBytes)
            {
                throw new IOException("HTTP head too large.");
            }
        }
    }
}
