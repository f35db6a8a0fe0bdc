using System.Runtime.InteropServices;
using ConnectReconcile.Core.Chains;
using Microsoft.Win32.SafeHandles;

namespace ConnectReconcile.Io.Storage;

/// <summary>
/// A <see cref="ChainWindow"/>'s closed contacts in a scratch file instead of memory: 32 bytes each,
/// appended through a 64 KiB buffer, read and rewritten in place only when a late copy of a closed
/// contact arrives (about one record in a hundred). The file is unlinked as soon as it is open on
/// Unix, so nothing is left behind even by a killed run; elsewhere it is deleted when closed.
/// </summary>
public sealed class FileClosedContactLog : IClosedContactLog, IDisposable
{
    private static readonly int Size = System.Runtime.CompilerServices.Unsafe.SizeOf<ClosedContact>();
    private readonly SafeFileHandle _file;
    private readonly byte[] _tail = new byte[2048 * Size];
    private int _inTail;
    private long _onDisk;

    public FileClosedContactLog(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"closed-contacts-{Guid.NewGuid():N}.bin");
        _file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows())
        {
            File.Delete(path);
        }
    }

    public int Count => checked((int)(_onDisk + _inTail));

    public void Append(in ClosedContact contact)
    {
        if ((_inTail + 1) * Size > _tail.Length)
        {
            Flush();
        }

        MemoryMarshal.Write(_tail.AsSpan(_inTail * Size, Size), in contact);
        _inTail++;
    }

    public ClosedContact Read(int position)
    {
        if (position >= _onDisk)
        {
            return MemoryMarshal.Read<ClosedContact>(_tail.AsSpan(checked((int)(position - _onDisk)) * Size, Size));
        }

        Span<byte> bytes = stackalloc byte[Size];
        var offset = (long)position * Size;
        for (var read = 0; read < Size;)
        {
            var n = RandomAccess.Read(_file, bytes[read..], offset + read);
            read += n > 0 ? n : throw new EndOfStreamException($"closed-contact log: position {position} is past the end of the file");
        }

        return MemoryMarshal.Read<ClosedContact>(bytes);
    }

    public void Write(int position, in ClosedContact contact)
    {
        if (position >= _onDisk)
        {
            MemoryMarshal.Write(_tail.AsSpan(checked((int)(position - _onDisk)) * Size, Size), in contact);
            return;
        }

        Span<byte> bytes = stackalloc byte[Size];
        MemoryMarshal.Write(bytes, in contact);
        RandomAccess.Write(_file, bytes, (long)position * Size);
    }

    public void Dispose() => _file.Dispose();

    private void Flush()
    {
        RandomAccess.Write(_file, _tail.AsSpan(0, _inTail * Size), _onDisk * Size);
        _onDisk += _inTail;
        _inTail = 0;
    }
}
