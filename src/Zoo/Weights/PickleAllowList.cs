using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace MLNetCnn.Zoo;

/// <summary>
/// Runs a pickle's opcodes on a stack of stand-in values before anything unpickles it, and refuses it unless it is what
/// <c>torch.save(state_dict)</c> writes. Every global it names must be one a state_dict needs, as PyTorch's
/// <c>weights_only=True</c> requires (the unpickler underneath cannot call unknown classes, but it silently drops a bare
/// reference such as <c>posix.system</c> or a call it does not understand); extension-registry opcodes, which name globals
/// by number, are refused. And every tensor the dict holds must be whole: its storage entry exactly as long as its shape
/// needs, contiguous from offset 0, which is all the loader reads. A tensor that claims otherwise is refused by its key,
/// before libtorch would fail on it with a C++ stack trace that names nothing.
/// </summary>
internal static class PickleAllowList
{
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
    };

    // The storage types a tensor can have, with their element sizes.
    private static readonly Dictionary<string, int> Storages = new(StringComparer.Ordinal)
    {
        ["torch.DoubleStorage"] = 8, ["torch.FloatStorage"] = 4, ["torch.HalfStorage"] = 2, ["torch.BFloat16Storage"] = 2,
        ["torch.LongStorage"] = 8, ["torch.IntStorage"] = 4, ["torch.ShortStorage"] = 2, ["torch.CharStorage"] = 1,
        ["torch.ByteStorage"] = 1, ["torch.BoolStorage"] = 1, ["torch.ComplexDoubleStorage"] = 16, ["torch.ComplexFloatStorage"] = 8,
    };

    // Stand-ins for what the real unpickler would build; anything else is null.
    private sealed record Global(string Name);
    private sealed record Tuple(object?[] Items);
    private sealed record Storage(string Key, int ElementSize, long Elements);
    private sealed record TensorRecord(Storage Storage, long Offset, long[] Shape, long[] Strides);
    private static readonly object Mark = new();

    // A state_dict's pickle holds at most a SETITEMS batch (1,000 pairs) and a few tuples at once, and memoises a few values per
    // tensor; a pickle that needs more is built to exhaust memory, here or in the unpickler after us.
    private const int MaxStack = 100_000, MaxMemo = 1_000_000;

    /// <summary>Refuses the pickle unless every global it names is on the allow-list and every tensor in its dict is whole.</summary>
    /// <param name="pickle">The pickle's bytes.</param>
    /// <param name="where">The file and entry, for messages.</param>
    /// <param name="storageBytes">The length of the archive's storage entry of a key (<c>data/KEY</c>), null when there is none.</param>
    /// <exception cref="InvalidDataException">A global off the list, an opcode that names globals indirectly, a tensor that lies about its
    /// storage, or a malformed pickle; the message names it.</exception>
    public static void Check(ReadOnlySpan<byte> pickle, string where, Func<string, long?> storageBytes)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        var at = 0;
        while (true)
        {
            if (at >= pickle.Length)
                throw Refused(where, "it ends without a STOP opcode");
            var opcode = pickle[at++];
            switch (opcode)
            {
                case (byte)'.':   // STOP
                    return;
                case (byte)'c':   // GLOBAL "module\nname\n"
                    stack.Add(Admit($"{Line(pickle, ref at, where)}.{Line(pickle, ref at, where)}", "GLOBAL", where));
                    break;
                case (byte)'i':   // INST "module\nname\n", its arguments since the mark
                    Admit($"{Line(pickle, ref at, where)}.{Line(pickle, ref at, where)}", "INST", where);
                    PopToMark(stack, where);
                    stack.Add(null);
                    break;
                case 0x93:   // STACK_GLOBAL
                {
                    var name = Pop(stack, where);
                    var module = Pop(stack, where);
                    if (module is not string m || name is not string n)
                        throw Refused(where, "a STACK_GLOBAL whose module and name are not plain strings pushed just before it");
                    stack.Add(Admit($"{m}.{n}", "STACK_GLOBAL", where));
                    break;
                }
                case 0x82 or 0x83 or 0x84:   // EXT1, EXT2, EXT4
                    throw Refused(where, "an extension-registry opcode (EXT1/EXT2/EXT4), which names a global by number");
                case (byte)'X': stack.Add(Text(pickle, ref at, Length(pickle, ref at, 4, where), where)); break;   // BINUNICODE
                case 0x8c: stack.Add(Text(pickle, ref at, Length(pickle, ref at, 1, where), where)); break;        // SHORT_BINUNICODE
                case 0x8d: stack.Add(Text(pickle, ref at, Length(pickle, ref at, 8, where), where)); break;        // BINUNICODE8
                case (byte)'V': stack.Add(Line(pickle, ref at, where)); break;                                     // UNICODE
                case (byte)'S': stack.Add(Line(pickle, ref at, where).Trim('\'', '"')); break;                     // STRING
                case (byte)'T' or (byte)'B': Skip(pickle, ref at, Length(pickle, ref at, 4, where), where); stack.Add(null); break;   // BINSTRING, BINBYTES
                case (byte)'U' or (byte)'C': Skip(pickle, ref at, Length(pickle, ref at, 1, where), where); stack.Add(null); break;   // SHORT_BINSTRING/BYTES
                case 0x8e or 0x96: Skip(pickle, ref at, Length(pickle, ref at, 8, where), where); stack.Add(null); break;              // BINBYTES8, BYTEARRAY8
                case 0x8a: stack.Add(LittleEndian(pickle, ref at, Length(pickle, ref at, 1, where), where)); break;                   // LONG1
                case 0x8b: stack.Add(LittleEndian(pickle, ref at, Length(pickle, ref at, 4, where), where)); break;                   // LONG4
                case (byte)'K': stack.Add((long)Length(pickle, ref at, 1, where)); break;    // BININT1
                case (byte)'M': stack.Add((long)Length(pickle, ref at, 2, where)); break;    // BININT2
                case (byte)'J': stack.Add(SignedInt32(pickle, ref at, where)); break;       // BININT
                case (byte)'I' or (byte)'L': stack.Add(TextInteger(Line(pickle, ref at, where))); break;   // INT, LONG
                case (byte)'F': Line(pickle, ref at, where); stack.Add(null); break;        // FLOAT
                case (byte)'G': Skip(pickle, ref at, 8, where); stack.Add(null); break;     // BINFLOAT
                case (byte)'P': Line(pickle, ref at, where); stack.Add(null); break;        // PERSID
                case (byte)'Q': stack.Add(StorageOf(Pop(stack, where), where)); break;     // BINPERSID
                case 0x80: Skip(pickle, ref at, 1, where); break;   // PROTO
                case 0x95: Skip(pickle, ref at, 8, where); break;   // FRAME
                case (byte)'p': memo[long.Parse(Line(pickle, ref at, where), CultureInfo.InvariantCulture)] = Peek(stack, where); break;   // PUT
                case (byte)'q': memo[Length(pickle, ref at, 1, where)] = Peek(stack, where); break;   // BINPUT
                case (byte)'r': memo[Length(pickle, ref at, 4, where)] = Peek(stack, where); break;   // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(stack, where); break;                             // MEMOIZE
                case (byte)'g': stack.Add(Memo(long.Parse(Line(pickle, ref at, where), CultureInfo.InvariantCulture))); break;   // GET
                case (byte)'h': stack.Add(Memo(Length(pickle, ref at, 1, where))); break;   // BINGET
                case (byte)'j': stack.Add(Memo(Length(pickle, ref at, 4, where))); break;   // LONG_BINGET
                case (byte)'(': stack.Add(Mark); break;                                    // MARK
                case (byte)'0': Pop(stack, where); break;                                  // POP
                case (byte)'1': PopToMark(stack, where); break;                            // POP_MARK
                case (byte)'2': stack.Add(Peek(stack, where)); break;                      // DUP
                case (byte)'N' or 0x88 or 0x89 or (byte)']' or (byte)'}' or 0x8f or 0x97: stack.Add(null); break;   // NONE, TRUE, FALSE, empty containers, NEXT_BUFFER
                case 0x98: Peek(stack, where); break;                                      // READONLY_BUFFER
                case (byte)')': stack.Add(new Tuple([])); break;                           // EMPTY_TUPLE
                case (byte)'t': stack.Add(new Tuple(PopToMark(stack, where))); break;      // TUPLE
                case 0x85 or 0x86 or 0x87:                                                 // TUPLE1, TUPLE2, TUPLE3
                {
                    var items = new object?[opcode - 0x84];
                    for (var k = items.Length - 1; k >= 0; k--)
                        items[k] = Pop(stack, where);
                    stack.Add(new Tuple(items));
                    break;
                }
                case (byte)'l' or 0x91: PopToMark(stack, where); stack.Add(null); break;   // LIST, FROZENSET
                case (byte)'d': CheckItems(PopToMark(stack, where), where, storageBytes); stack.Add(null); break;   // DICT
                case (byte)'a' or (byte)'b': Pop(stack, where); break;                     // APPEND, BUILD
                case (byte)'e' or 0x90: PopToMark(stack, where); break;                    // APPENDS, ADDITEMS
                case (byte)'s':                                                            // SETITEM
                {
                    var value = Pop(stack, where);
                    CheckItems([Pop(stack, where), value], where, storageBytes);
                    break;
                }
                case (byte)'u': CheckItems(PopToMark(stack, where), where, storageBytes); break;   // SETITEMS
                case (byte)'R':                                                            // REDUCE
                {
                    var arguments = Pop(stack, where);
                    var callable = Pop(stack, where);
                    stack.Add(callable is Global { Name: "torch._utils._rebuild_tensor" or "torch._utils._rebuild_tensor_v2" } && arguments is Tuple tuple
                        ? TensorOf(tuple, where)
                        : null);
                    break;
                }
                case (byte)'o': PopToMark(stack, where); stack.Add(null); break;           // OBJ
                case 0x81: Pop(stack, where); Pop(stack, where); stack.Add(null); break;   // NEWOBJ
                case 0x92: Pop(stack, where); Pop(stack, where); Pop(stack, where); stack.Add(null); break;   // NEWOBJ_EX
                default:
                    throw Refused(where, $"unknown opcode 0x{opcode:x2} at byte {at - 1}");
            }
            if (stack.Count > MaxStack || memo.Count > MaxMemo)
                throw Refused(where, string.Create(CultureInfo.InvariantCulture,
                    $"it holds more than {MaxStack:N0} values at once or memoises more than {MaxMemo:N0}, which no state_dict needs"));
        }

        object? Memo(long key) => memo.TryGetValue(key, out var value) ? value : throw Refused(where, $"it reads memo slot {key}, which nothing stored");
    }

    private static Global Admit(string global, string opcode, string where)
        => Allowed.Contains(global) || Storages.ContainsKey(global)
            ? new Global(global)
            : throw Refused(where, $"it names {global} ({opcode}), which a state_dict never needs; only tensors, their storages and OrderedDict are allowed");

    // torch.save's persistent id of a storage: ("storage", storage type, key, location, number of elements).
    private static Storage? StorageOf(object? id, string where)
    {
        if (id is not Tuple { Items: ["storage", Global type, string key, _, long elements] })
            return null;
        if (elements < 0)
            throw Refused(where, $"storage '{key}' claims {elements} elements");
        return new Storage(key, Storages.GetValueOrDefault(type.Name, 1), elements);
    }

    // _rebuild_tensor_v2(storage, offset, shape, strides, requires_grad, hooks, ...).
    private static TensorRecord? TensorOf(Tuple arguments, string where)
    {
        if (arguments.Items is not [Storage storage, long offset, Tuple shape, Tuple strides, ..])
            return null;
        return new TensorRecord(storage, offset, Integers(shape, where), Integers(strides, where));
    }

    private static long[] Integers(Tuple tuple, string where)
        => tuple.Items.Select(i => i as long? ?? throw Refused(where, "a tensor's shape or strides hold something other than integers")).ToArray();

    // Dict items, as (key, value) pairs: each tensor is checked against its storage, named by its key.
    private static void CheckItems(object?[] items, string where, Func<string, long?> storageBytes)
    {
        if (items.Length % 2 != 0)
            throw Refused(where, "a dict built from an odd number of items");
        for (var k = 0; k < items.Length; k += 2)
            if (items[k + 1] is TensorRecord tensor && WhatIsWrong(tensor, storageBytes) is { } problem)
                throw Refused(where, $"tensor '{items[k] as string ?? "(a key that is not a string)"}' {problem}");
    }

    private static string? WhatIsWrong(TensorRecord tensor, Func<string, long?> storageBytes)
    {
        var (storage, offset, shape, strides) = tensor;
        var claim = $"claims shape [{string.Join(", ", shape)}] with strides [{string.Join(", ", strides)}] at offset {offset} over storage '{storage.Key}' of {storage.Elements} elements";
        if (shape.Length != strides.Length || offset != 0 || shape.Any(s => s < 0))
            return $"{claim}; a state_dict holds each tensor whole, from offset 0";
        long elements = 1, contiguous = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && strides[d] != contiguous)
                return $"{claim}; a state_dict holds each tensor whole and contiguous";
            if (shape[d] != 0 && elements > long.MaxValue / shape[d])
                return $"{claim}, more elements than 64 bits can count";
            elements *= shape[d];
            contiguous = elements;
        }
        if (elements != storage.Elements)
            return $"{claim}; a state_dict holds each tensor whole, its storage exactly as long";
        var bytes = storageBytes(storage.Key);
        if (bytes is null)
            return $"{claim}, but the file has no entry data/{storage.Key}";
        if (elements > long.MaxValue / storage.ElementSize || bytes != elements * storage.ElementSize)
            return string.Create(CultureInfo.InvariantCulture, $"{claim} ({storage.ElementSize} bytes each), but its entry data/{storage.Key} holds {bytes:N0} bytes");
        return null;
    }

    private static object? Pop(List<object?> stack, string where)
    {
        var value = Peek(stack, where);
        if (ReferenceEquals(value, Mark))
            throw Refused(where, "an opcode takes a mark as its operand");
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private static object? Peek(List<object?> stack, string where)
        => stack.Count > 0 ? stack[^1] : throw Refused(where, "an opcode finds the stack empty");

    private static object?[] PopToMark(List<object?> stack, string where)
    {
        var mark = stack.FindLastIndex(v => ReferenceEquals(v, Mark));
        if (mark < 0)
            throw Refused(where, "an opcode looks for a mark that was never set");
        var items = stack.GetRange(mark + 1, stack.Count - mark - 1).ToArray();
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
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

    private static long SignedInt32(ReadOnlySpan<byte> pickle, ref int at, string where)
    {
        if (at + 4 > pickle.Length)
            throw Refused(where, "it is cut off inside an opcode's argument");
        var value = BinaryPrimitives.ReadInt32LittleEndian(pickle.Slice(at, 4));
        at += 4;
        return value;
    }

    // LONG1/LONG4: a two's-complement integer; one beyond 64 bits is not a size or a stride of anything real.
    private static object? LittleEndian(ReadOnlySpan<byte> pickle, ref int at, long count, string where)
    {
        var start = at;
        Skip(pickle, ref at, count, where);
        var value = new BigInteger(pickle[start..at], isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : null;
    }

    // INT also spells booleans (00, 01); LONG ends in L.
    private static object? TextInteger(string text)
        => long.TryParse(text.TrimEnd('L'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

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
