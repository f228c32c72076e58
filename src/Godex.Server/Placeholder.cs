namespace Godex.Server;
