using System.Buffers.Binary;
using System.Text;

namespace MLNetCnn.Zoo;

/// <summary>
/// Reads a pickle's opcodes before anything unpickles it and refuses every global it names beyond those a state_dict needs,
/// as PyTorch's <c>weights_only=True</c> does. The unpickler underneath cannot call unknown classes, but it silently drops
/// a bare reference such as <c>posix.system</c> or a call it does not understand; a file that names one is not a state_dict,
/// whatever it would do. Extension-registry opcodes (which name globals by number) are refused too, and a
/// <c>STACK_GLOBAL</c> whose module and name are not the two strings pushed just before it is refused rather than guessed.
/// </summary>
internal static class PickleAllowList
{
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.DoubleStorage", "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
        "torch.ComplexDoubleStorage", "torch.ComplexFloatStorage",
    };

    /// <summary>Refuses the pickle unless every global it names is on the allow-list.</summary>
    /// <exception cref="InvalidDataException">A global off the list, an opcode that names globals indirectly, or a malformed pickle; the message names it.</exception>
    public static void Check(ReadOnlySpan<byte> pickle, string where)
    {
        // The strings most recently pushed (null for anything else), and the memo of strings, for STACK_GLOBAL's operands.
        string? last = null, beforeLast = null;
        var memo = new Dictionary<long, string?>();
        var at = 0;
        while (true)
        {
            if (at >= pickle.Length)
                throw Refused(where, "it ends without a STOP opcode");
            var opcode = pickle[at++];
            string? pushed = null;
            var pushes = true;
            switch (opcode)
            {
                case (byte)'.':   // STOP
                    return;
                case (byte)'c' or (byte)'i':   // GLOBAL, INST: "module\nname\n"
                    var module = Line(pickle, ref at, where);
                    var name = Line(pickle, ref at, where);
                    Admit($"{module}.{name}", opcode == 'c' ? "GLOBAL" : "INST", where);
                    break;
                case 0x93:   // STACK_GLOBAL
                    if (beforeLast is null || last is null)
                        throw Refused(where, "a STACK_GLOBAL whose module and name are not plain strings pushed just before it");
                    Admit($"{beforeLast}.{last}", "STACK_GLOBAL", where);
                    break;
                case 0x82 or 0x83 or 0x84:   // EXT1, EXT2, EXT4
                    throw Refused(where, "an extension-registry opcode (EXT1/EXT2/EXT4), which names a global by number");
                case (byte)'X': pushed = Text(pickle, ref at, Length(pickle, ref at, 4, where), where); break;   // BINUNICODE
                case 0x8c: pushed = Text(pickle, ref at, Length(pickle, ref at, 1, where), where); break;        // SHORT_BINUNICODE
                case 0x8d: pushed = Text(pickle, ref at, Length(pickle, ref at, 8, where), where); break;        // BINUNICODE8
                case (byte)'V': pushed = Line(pickle, ref at, where); break;                                     // UNICODE
                case (byte)'S': pushed = Line(pickle, ref at, where).Trim('\'', '"'); break;                     // STRING
                case (byte)'T' or (byte)'B': Skip(pickle, ref at, Length(pickle, ref at, 4, where), where); break;   // BINSTRING, BINBYTES
                case (byte)'U' or (byte)'C': Skip(pickle, ref at, Length(pickle, ref at, 1, where), where); break;   // SHORT_BINSTRING/BYTES
                case 0x8e or 0x96: Skip(pickle, ref at, Length(pickle, ref at, 8, where), where); break;              // BINBYTES8, BYTEARRAY8
                case 0x8a: Skip(pickle, ref at, Length(pickle, ref at, 1, where), where); break;                      // LONG1
                case 0x8b: Skip(pickle, ref at, Length(pickle, ref at, 4, where), where); break;                      // LONG4
                case (byte)'I' or (byte)'L' or (byte)'F' or (byte)'P': Line(pickle, ref at, where); break;           // INT, LONG, FLOAT, PERSID
                case (byte)'K': Skip(pickle, ref at, 1, where); break;      // BININT1
                case (byte)'M': Skip(pickle, ref at, 2, where); break;      // BININT2
                case (byte)'J': Skip(pickle, ref at, 4, where); break;      // BININT
                case (byte)'G': Skip(pickle, ref at, 8, where); break;      // BINFLOAT
                case 0x80: Skip(pickle, ref at, 1, where); pushes = false; break;   // PROTO
                case 0x95: Skip(pickle, ref at, 8, where); pushes = false; break;   // FRAME
                case (byte)'p': memo[long.Parse(Line(pickle, ref at, where), System.Globalization.CultureInfo.InvariantCulture)] = last; pushes = false; break;   // PUT
                case (byte)'q': memo[Length(pickle, ref at, 1, where)] = last; pushes = false; break;   // BINPUT
                case (byte)'r': memo[Length(pickle, ref at, 4, where)] = last; pushes = false; break;   // LONG_BINPUT
                case 0x94: memo[memo.Count] = last; pushes = false; break;                             // MEMOIZE
                case (byte)'g': pushed = Memo(long.Parse(Line(pickle, ref at, where), System.Globalization.CultureInfo.InvariantCulture)); break;   // GET
                case (byte)'h': pushed = Memo(Length(pickle, ref at, 1, where)); break;   // BINGET
                case (byte)'j': pushed = Memo(Length(pickle, ref at, 4, where)); break;   // LONG_BINGET
                case (byte)'(' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'R' or (byte)'a' or (byte)'b' or (byte)'d'
                    or (byte)'e' or (byte)'l' or (byte)'o' or (byte)'s' or (byte)'t' or (byte)'u' or (byte)')' or (byte)']' or (byte)'}'
                    or (byte)'Q' or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x8f or 0x90 or 0x91 or 0x92 or 0x97 or 0x98:
                    break;   // opcodes without arguments: marks, containers, calls of what a checked global pushed
                default:
                    throw Refused(where, $"unknown opcode 0x{opcode:x2} at byte {at - 1}");
            }
            if (pushes)
                (beforeLast, last) = (last, pushed);
        }

        string? Memo(long key) => memo.GetValueOrDefault(key);
    }

    private static void Admit(string global, string opcode, string where)
    {
        if (!Allowed.Contains(global))
            throw Refused(where, $"it names {global} ({opcode}), which a state_dict never needs; only tensors, their storages and OrderedDict are allowed");
    }

    private static long Length(ReadOnlySpan<byte> pickle, ref int at, int width, string where)
    {
        if (at + width > pickle.Length)
            throw Refused(where, "it is cut off inside an opcode's argument");
        var span = pickle.Slice(at, width);
        at += width;
        var value = width switch
        {
            1 => span[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(span),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(span),
            _ => BinaryPrimitives.ReadInt64LittleEndian(span),
        };
        return value >= 0 ? value : throw Refused(where, "a negative length");
    }

    private static void Skip(ReadOnlySpan<byte> pickle, ref int at, long count, string where)
    {
        if (count > pickle.Length - at)
            throw Refused(where, "an argument runs past its end");
        at += (int)count;
    }

    private static string Text(ReadOnlySpan<byte> pickle, ref int at, long count, string where)
    {
        var start = at;
        Skip(pickle, ref at, count, where);
        return Encoding.UTF8.GetString(pickle[start..at]);
    }

    private static string Line(ReadOnlySpan<byte> pickle, ref int at, string where)
    {
        var end = pickle[at..].IndexOf((byte)'\n');
        if (end < 0)
            throw Refused(where, "a text argument without its newline");
        var text = Encoding.UTF8.GetString(pickle.Slice(at, end));
        at += end + 1;
        return text;
    }

    private static InvalidDataException Refused(string where, string reason)
        => new($"{where} is refused: {reason}. Save only the state_dict (torch.save(model.state_dict(), path)).");
}
