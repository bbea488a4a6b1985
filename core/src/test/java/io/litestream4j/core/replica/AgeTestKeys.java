package io.litestream4j.core.replica;

/** Key pairs made with age-keygen for the tests only (they protect nothing). */
public final class AgeTestKeys {
    public static final String IDENTITY = "AGE-SECRET-KEY-1886DMXC2MGG85K979XAVLDGZH79MAMMRLD547QMRC7CFLCR2472SC5CYD8";
    public static final String RECIPIENT = "age17c684n628nr8yygt499avv507nf8nesk7xs7dnusfvyajd86ruwqlsxtkf";
    public static final String OTHER_IDENTITY = "AGE-SECRET-KEY-164CV8UT3MXTRGHGG6TXM2C83AH36DD86S6TXMERZWLFVWVPES0WQMQQKVC";
    public static final String OTHER_RECIPIENT = "age1r0rwn0dc257ptn5ew0cd3qqp8l0u9zgh86tn9ddgw0f8eylt04ass64za3";

    private AgeTestKeys() {}
}
