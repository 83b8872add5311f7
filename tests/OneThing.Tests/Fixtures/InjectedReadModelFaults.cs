using System.Collections.Concurrent;
using OneThing.Grains.ReadModels;

namespace OneThing.Tests.Fixtures;

/// <summary>
/// Fails the next read-model write for a chosen row, as if the silo died right there. Test silos run in this
/// process, so a static registry reaches them.
/// </summary>
public sealed class InjectedReadModelFaults : IReadModelFaults
{
    private static readonly ConcurrentDictionary<string, int> Pending = new();

    /// <summary>The next <paramref name="times"/> writes of this row fail.</summary>
    public static void FailNextWrite(string id, int times = 1) => Pending[id] = times;

    public static bool IsArmed(string id) => Pending.ContainsKey(id);

    public void BeforeWrite(string kind, string id)
    {
        if (Pending.TryGetValue(id, out var remaining))
        {
            if (remaining <= 1)
            {
                Pending.TryRemove(id, out _);
            }
            else
            {
                Pending[id] = remaining - 1;
            }
            throw new TimeoutException($"Injected failure before the read-model write of {kind} {id}.");
        }
    }
}
