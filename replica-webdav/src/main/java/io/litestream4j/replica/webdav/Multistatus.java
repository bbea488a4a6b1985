package io.litestream4j.replica.webdav;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * A PROPFIND answer (RFC 4918 {@code DAV:multistatus}) read with a namespace-aware parser, so a
 * server's choice of prefix ({@code D:}, {@code d:}, none) does not matter. Only the properties
 * answered with a 200 propstat count. The parser refuses DOCTYPEs: a listing never needs one, and
 * external entities in a server's answer must not be followed.
 */
final class Multistatus {
    static final String DAV = "DAV:";

    /** The PROPFIND body that asks for what a listing needs. */
    static final String PROPFIND_BODY = """
            <?xml version="1.0" encoding="utf-8"?>
            <D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>
            """;

    /**
     * One resource of a listing.
     *
     * @param name the last segment of its path, decoded
     * @param folder whether it is a collection
     * @param size its length in bytes, or -1 when not given
     * @param modified its {@code getlastmodified} (whole seconds), or null
     * @param etag its entity tag, or null
     */
    record Entry(String name, boolean folder, long size, Instant modified, String etag) {}

    private Multistatus() {}

    /** The entries of a multistatus body; {@code what} names the request in errors. */
    static List<Entry> parse(InputStream body, String what) throws IOException {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            doc = b.parse(body);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException("%s: the server's answer is not a WebDAV multistatus document: %s".formatted(what, e.getMessage()), e);
        }
        Element root = doc.getDocumentElement();
        if (!DAV.equals(root.getNamespaceURI()) || !"multistatus".equals(root.getLocalName())) {
            throw new IOException("%s: want a DAV:multistatus answer, got <%s xmlns=\"%s\">".formatted(what, root.getLocalName(), root.getNamespaceURI()));
        }
        List<Entry> out = new ArrayList<>();
        for (Element response : children(root, "response")) {
            Element href = first(response, "href");
            if (href == null) {
                continue;
            }
            boolean folder = false;
            long size = -1;
            Instant modified = null;
            String etag = null;
            for (Element propstat : children(response, "propstat")) {
                Element status = first(propstat, "status");
                if (status != null && !status.getTextContent().contains(" 200")) {
                    continue;
                }
                Element prop = first(propstat, "prop");
                if (prop == null) {
                    continue;
                }
                Element type = first(prop, "resourcetype");
                if (type != null && first(type, "collection") != null) {
                    folder = true;
                }
                Element length = first(prop, "getcontentlength");
                if (length != null && !length.getTextContent().isBlank()) {
                    try {
                        size = Long.parseLong(length.getTextContent().trim());
                    } catch (NumberFormatException e) {
                        throw new IOException("%s: getcontentlength %s of %s: want a whole number".formatted(what, length.getTextContent(), href.getTextContent()));
                    }
                }
                Element lastModified = first(prop, "getlastmodified");
                if (lastModified != null && !lastModified.getTextContent().isBlank()) {
                    modified = httpDate(lastModified.getTextContent().trim());
                }
                Element tag = first(prop, "getetag");
                if (tag != null && !tag.getTextContent().isBlank()) {
                    etag = tag.getTextContent().trim();
                }
            }
            out.add(new Entry(lastSegment(href.getTextContent().trim()), folder, size, modified, etag));
        }
        return out;
    }

    /** An HTTP date (RFC 1123); a server that writes another form gets null rather than a failed listing. */
    private static Instant httpDate(String s) {
        try {
            return ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The decoded last segment of an href, which may be a path or a full URL, with or without a trailing slash. */
    static String lastSegment(String href) {
        String path = href;
        try {
            URI u = new URI(href);
            if (u.getRawPath() != null) {
                path = u.getRawPath();
            }
        } catch (java.net.URISyntaxException e) {
            // not a valid URI (an unencoded space, say): take it as a raw path
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String last = path.substring(path.lastIndexOf('/') + 1);
        return URLDecoder.decode(last.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static List<Element> children(Element parent, String localName) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && DAV.equals(e.getNamespaceURI()) && localName.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    private static Element first(Element parent, String localName) {
        List<Element> c = children(parent, localName);
        return c.isEmpty() ? null : c.getFirst();
    }
}
