package io.litestream4j.cli;

import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The MCP server on {@code mcp-addr}: the MCP Java SDK's Streamable HTTP transport (POST for
 * JSON-RPC, GET for the event stream, DELETE to end a session; the session in
 * {@code Mcp-Session-Id}) as a servlet in an embedded Jetty, serving {@link McpTools} under the
 * name Litestream gives its server, "Litestream MCP Server".
 *
 * <p>Every path answers, as in Litestream (its handler is mounted at {@code /}), so a client
 * configured with {@code http://host:port/mcp} or {@code http://host:port/} both work.
 *
 * <p>A request carrying an {@code Origin} header is refused (403): MCP clients send none, and a
 * web page that a browser on this machine opens (directly or by DNS rebinding) always does, so no
 * page can call {@code litestream_restore}. Bind it to {@code 127.0.0.1:PORT} unless other
 * machines must reach it: the protocol has no authentication here, as in Litestream.
 *
 * <p>Loaded only when {@code mcp-addr} is set: {@code replicate} without it never loads Jetty or the SDK.
 */
final class McpEndpoint implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");
    static final String SERVER_NAME = "Litestream MCP Server";

    /** Held: the log manager keeps loggers weakly, and a collected one would forget its level. Jetty and the SDK log every start and session at INFO. */
    private static final List<Logger> QUIET = List.of(Logger.getLogger("org.eclipse.jetty"), Logger.getLogger("io.modelcontextprotocol"),
            Logger.getLogger("reactor"));

    private final Server jetty;
    private final McpSyncServer mcp;

    private McpEndpoint(Server jetty, McpSyncServer mcp) {
        this.jetty = jetty;
        this.mcp = mcp;
    }

    /** Listens on {@code addr} ({@code :3001}, {@code 127.0.0.1:3001}); a port in use is an error naming it. */
    static AutoCloseable start(String addr, McpTools tools, String version) throws IOException {
        QUIET.forEach(l -> l.setLevel(Level.WARNING));
        InetSocketAddress socket = MetricsServer.parse(addr);
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint("/mcp")
                .securityValidator(DefaultServerTransportSecurityValidator.builder().build()) // no allowed origins: any Origin is refused
                .build();
        McpSyncServer mcp = McpServer.sync(transport)
                .serverInfo(SERVER_NAME, version)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .tools(tools.tools().stream().map(McpEndpoint::specification).toList())
                .build();
        QueuedThreadPool threads = new QueuedThreadPool(32, 2);
        threads.setName("mcp");
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty, 1, 1);
        connector.setHost(socket.getAddress().isAnyLocalAddress() ? null : socket.getHostString());
        connector.setPort(socket.getPort());
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder holder = new ServletHolder(new AnyPath(transport));
        holder.setAsyncSupported(true); // the event streams are asynchronous
        context.addServlet(holder, "/*");
        jetty.setHandler(context);
        try {
            jetty.start();
        } catch (Exception e) {
            mcp.close();
            try {
                jetty.stop();
            } catch (Exception stopFailed) {
                e.addSuppressed(stopFailed);
            }
            throw new IOException("mcp-addr %s: cannot listen: %s".formatted(addr, e.getMessage()), e);
        }
        LOG.log(System.Logger.Level.INFO, "serving MCP on http://{0}:{1}/mcp", socket.getHostString(), String.valueOf(connector.getLocalPort()));
        return new McpEndpoint(jetty, mcp);
    }

    private static McpServerFeatures.SyncToolSpecification specification(McpTools.Tool tool) {
        McpSchema.Tool described = McpSchema.Tool.builder(tool.name(), tool.inputSchema())
                .description(tool.description())
                .outputSchema(tool.outputSchema())
                .annotations(McpSchema.ToolAnnotations.builder().readOnlyHint(tool.readOnly()).destructiveHint(!tool.readOnly()).build())
                .build();
        return McpServerFeatures.SyncToolSpecification.builder().tool(described).callHandler((exchange, request) -> {
            McpTools.Result r = tool.call(request.arguments());
            McpSchema.CallToolResult.Builder result = McpSchema.CallToolResult.builder().addTextContent(r.text()).isError(r.error());
            if (r.structured() != null) {
                result.structuredContent(r.structured());
            }
            return result.build();
        }).build();
    }

    /** Hands every path to the transport, which itself answers only on its endpoint ({@code /mcp}). */
    private static final class AnyPath extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final transient HttpServletStreamableServerTransportProvider transport;

        AnyPath(HttpServletStreamableServerTransportProvider transport) {
            this.transport = transport;
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
            jakarta.servlet.ServletRequest endpoint = new HttpServletRequestWrapper(request) {
                @Override
                public String getRequestURI() {
                    return "/mcp";
                }
            };
            transport.service(endpoint, (jakarta.servlet.ServletResponse) response);
        }
    }

    @Override
    public void close() {
        mcp.close();
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the MCP server failed: {0}", e.getMessage());
        }
    }
}
