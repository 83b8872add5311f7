namespace OneThing.Grains.Hosting;

/// <summary>Names of the storage providers grains persist through; the silo registers each of them.</summary>
public static class GrainStorage
{
    /// <summary>Grain state in PostgreSQL (table <c>orleansstorage</c>) via the ADO.NET provider.</summary>
    public const string Main = "onething";
}
