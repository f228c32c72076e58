using System.CommandLine;
using Godex.Cli;

RootCommand root = GodexCommand.Create();
return await GodexCommand.InvokeAsync(root, args, new InvocationConfiguration());
