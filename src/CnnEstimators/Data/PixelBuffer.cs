using Microsoft.ML.Data;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MLNetCnn.Data;

/// <summary>
/// Raw pixels of up to <see cref="Capacity"/> rows, row-major <c>N x C x H x W</c>, before the model's normalisation:
/// bytes for image columns, floats for vector columns. The kind is chosen once, from the preprocessing, by
/// <see cref="Allocate"/>; readers, batch sources and runners work on any buffer alike. Cursors reuse one buffer for
/// every batch, so a runner reads it during its run and keeps nothing.
/// </summary>
internal abstract class PixelBuffer
{
    private protected PixelBuffer(CnnPreprocessing preprocessing, int capacity)
    {
        Preprocessing = preprocessing;
        Capacity = capacity;
        Count = capacity;
    }

    public CnnPreprocessing Preprocessing { get; }

    /// <summary>Rows the buffer holds room for.</summary>
    public int Capacity { get; protected set; }

    /// <summary>Rows in use, from the first.</summary>
    public int Count { get; set; }

    /// <summary>Values per row: <c>C * H * W</c>.</summary>
    public int RowLength => Preprocessing.Length;

    /// <summary>Bytes one row takes in memory.</summary>
    public abstract int BytesPerRow { get; }

    public long[] Shape => [Count, Preprocessing.Channels, Preprocessing.Height, Preprocessing.Width];

    /// <summary>A buffer for <paramref name="rows"/> rows of the preprocessing's input kind; <see cref="Count"/> is <paramref name="rows"/>.</summary>
    public static PixelBuffer Allocate(CnnPreprocessing preprocessing, int rows) => preprocessing.InputKind == CnnInputKind.Image
        ? new BytePixels(preprocessing, rows)
        : new FloatPixels(preprocessing, rows);

    /// <summary>Reads the reader's current row into row <paramref name="slot"/>.</summary>
    /// <exception cref="InvalidDataException">The row's image or vector could not be read.</exception>
    public abstract void Read(PixelReader reader, long position, int slot);

    /// <summary>Fills row <paramref name="slot"/> from a picture (buffers of image preprocessing only).</summary>
    public abstract void ReadImage(MLImage image, int slot);

    /// <summary>Fills row <paramref name="slot"/> from a vector of the preprocessing's vector shape (buffers of vector preprocessing only).</summary>
    public abstract void ReadVector(ReadOnlySpan<float> values, int slot);

    /// <summary>Zeroes row <paramref name="slot"/> (what a failed read left there stays finite).</summary>
    public abstract void Clear(int slot);

    /// <summary>Copies row <paramref name="slot"/> into row <paramref name="destinationSlot"/> of a buffer of the same kind.</summary>
    public abstract void CopyRow(int slot, PixelBuffer destination, int destinationSlot);

    /// <summary>Grows to hold at least <paramref name="rows"/> rows (doubling), keeping the rows held.</summary>
    public abstract void EnsureCapacity(int rows);

    /// <summary>A CPU tensor copy of the first <see cref="Count"/> rows (uint8 or float32), in the caller's dispose scope.</summary>
    public abstract Tensor ToTensor();

    /// <summary>The first <see cref="Count"/> rows as floats: a float buffer as it is, bytes widened into <paramref name="scratch"/> (grown as needed).</summary>
    public abstract Memory<float> AsFloats(ref float[] scratch);

    // The storage of either kind; the two kinds differ only in how they read a row, make a tensor and become floats.
    private abstract class Pixels<T>(CnnPreprocessing preprocessing, int capacity) : PixelBuffer(preprocessing, capacity)
        where T : unmanaged
    {
        protected T[] Values { get; private set; } = new T[(long)capacity * preprocessing.Length];

        public override int BytesPerRow => RowLength * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

        public override void Clear(int slot) => Row(slot).Clear();

        public override void CopyRow(int slot, PixelBuffer destination, int destinationSlot)
            => Row(slot).CopyTo(((Pixels<T>)destination).Row(destinationSlot));

        public override void EnsureCapacity(int rows)
        {
            if (rows <= Capacity)
                return;
            Capacity = Math.Max(rows, Math.Max(1, Capacity) * 2);
            var values = Values;
            Array.Resize(ref values, Capacity * RowLength);
            Values = values;
        }

        protected T[] UsedValues() => Values.AsSpan(0, Count * RowLength).ToArray();

        protected Span<T> Row(int slot) => Values.AsSpan(slot * RowLength, RowLength);
    }

    private sealed class BytePixels(CnnPreprocessing preprocessing, int capacity) : Pixels<byte>(preprocessing, capacity)
    {
        public override void Read(PixelReader reader, long position, int slot) => reader.ReadBytes(position, Row(slot));

        public override void ReadImage(MLImage image, int slot) => PixelReader.Convert(image, Preprocessing, Row(slot));

        public override void ReadVector(ReadOnlySpan<float> values, int slot)
            => throw new NotSupportedException("This preprocessing reads pictures; a pixel vector goes into a vector buffer.");

        public override Tensor ToTensor() => tensor(UsedValues(), Shape);

        public override Memory<float> AsFloats(ref float[] scratch)
        {
            var length = Count * RowLength;
            if (scratch.Length < length)
                scratch = new float[length];
            TensorPrimitives.ConvertChecked<byte, float>(Values.AsSpan(0, length), scratch);
            return scratch.AsMemory(0, length);
        }
    }

    private sealed class FloatPixels(CnnPreprocessing preprocessing, int capacity) : Pixels<float>(preprocessing, capacity)
    {
        public override void Read(PixelReader reader, long position, int slot) => reader.ReadFloats(position, Row(slot));

        public override void ReadImage(MLImage image, int slot)
            => throw new NotSupportedException("This preprocessing reads pixel vectors; a picture goes into an image buffer.");

        public override void ReadVector(ReadOnlySpan<float> values, int slot) => PixelReader.Convert(values, Preprocessing, Row(slot), "The pixel vector");

        public override Tensor ToTensor() => tensor(UsedValues(), Shape);

        // ONNX Runtime reads the floats in place: no copy.
        public override Memory<float> AsFloats(ref float[] scratch) => Values.AsMemory(0, Count * RowLength);
    }
}
