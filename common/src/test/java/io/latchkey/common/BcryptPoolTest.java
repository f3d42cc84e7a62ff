package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class BcryptPoolTest {

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void hashesVerifyAndEveryBcryptPrefixIsAccepted(Vertx vertx) throws Exception {
    try (BcryptPool pool = new BcryptPool(vertx, 1, 8, 4)) {
      String hash = await(pool.hash("correct horse"));
      assertThat(hash).startsWith("$2a$04$");
      assertThat(await(pool.verify("correct horse", hash))).isTrue();
      assertThat(await(pool.verify("Correct horse", hash))).isFalse();
      for (String prefix : List.of("$2b$", "$2y$")) {
        assertThat(await(pool.verify("correct horse", prefix + hash.substring(4)))).as(prefix).isTrue();
      }
      assertThat(await(pool.verify("correct horse", "not a hash"))).isFalse();
      assertThat(await(pool.verify("correct horse", null))).isFalse();
      assertThat(await(pool.verifyDummy("correct horse"))).isFalse();
    }
  }

  @Test
  void aFullQueueIsOverloadedAtOnce(Vertx vertx) throws Exception {
    try (BcryptPool pool = new BcryptPool(vertx, 1, 1, 12)) {
      List<Future<String>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(pool.hash("password " + i));
      }
      // one runs, one waits, the other two are refused without waiting (right after the start:
      // the dummy hash being made takes none of the pool's places)
      assertThat(calls.get(1).failed()).isFalse();
      Throwable refused = calls.get(3).cause();
      assertThat(calls.get(3).failed()).isTrue();
      assertThat(refused).isInstanceOf(ApiException.class);
      assertThat(((ApiException) refused).code()).isEqualTo(ErrorCodes.OVERLOADED);
      assertThat(((ApiException) refused).headers()).containsKey("Retry-After");
      assertThat(await(calls.get(0))).startsWith("$2a$12$");
    }
  }

  @Test
  void theDummyHashIsAFullCostHashMadeBesideThePoolAndNeverMatches(Vertx vertx) throws Exception {
    try (BcryptPool pool = new BcryptPool(vertx, 2, 8, 5)) {
      // asked at once: waits for the dummy hash on its bcrypt thread instead of failing
      assertThat(await(pool.verifyDummy("anything"))).isFalse();
      assertThat(await(pool.dummyHash())).startsWith("$2a$05$").hasSize(60);
      assertThat(await(pool.verify("correct horse", await(pool.hash("correct horse"))))).isTrue();
    }
    assertThatThrownBy(() -> new BcryptPool(vertx, 1, 8, 3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bcryptThreadsHaveTheLowestPriority(Vertx vertx) throws Exception {
    try (BcryptPool pool = new BcryptPool(vertx, 1, 8, 4)) {
      await(pool.hash("correct horse"));
      List<Thread> bcryptThreads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("bcrypt-")).toList();
      assertThat(bcryptThreads).isNotEmpty().allSatisfy(t -> assertThat(t.getPriority()).isEqualTo(Thread.MIN_PRIORITY));
    }
  }
}
